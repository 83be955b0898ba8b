// The daemon's own outbox, for outcomes that belong to no plugin's
// transaction: a plugin's `error` outcome (its transaction was rolled back), a
// tap no plugin is bound to. Used on the io thread only.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "mqtt/outgoing.hpp"
#include "outbox/outbox.hpp"
#include "outbox/outbox_store.hpp"
#include "outbox/sqlite.hpp"

namespace kazasu {

class DaemonOutbox {
 public:
  explicit DaemonOutbox(const std::filesystem::path& file) : db_(file, sqlite::Sync::full) {
    outbox::ensure_schema(db_);
    db_.exec("CREATE TABLE IF NOT EXISTS kazasu_storage_probe (at_unix_ms INTEGER NOT NULL)");
    store_ = std::make_shared<OutboxStore>("daemon", file);
  }

  /** A small durable write (for StorageHealth): nullopt when it worked, else SQLite's sentence. */
  std::optional<std::string> probe(int64_t now_unix_ms) {
    try {
      db_.exec("BEGIN IMMEDIATE");
      try {
        db_.exec("DELETE FROM kazasu_storage_probe");
        db_.prepare("INSERT INTO kazasu_storage_probe VALUES (?)").bind(1, now_unix_ms).run();
        db_.exec("COMMIT");
      } catch (...) {
        try {
          db_.exec("ROLLBACK");
        } catch (...) {  // a failed COMMIT may have ended the transaction already
        }
        throw;
      }
      return std::nullopt;
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
  }

  /** Makes the message durable and returns it ready to publish. */
  Outgoing add(const std::string& msg_id, const std::string& topic, const std::string& payload, const StageTimes& times,
               int64_t now_unix_ms) {
    const int64_t seq = outbox::append(db_, msg_id, topic, payload, now_unix_ms);
    return Outgoing{store_, seq, msg_id, topic, payload, times};
  }
  [[nodiscard]] const std::shared_ptr<OutboxStore>& store() const { return store_; }

 private:
  sqlite::Database db_;
  std::shared_ptr<OutboxStore> store_;
};

}  // namespace kazasu
