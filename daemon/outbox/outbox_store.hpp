// One outbox file as the publisher sees it: its own SQLite connection, used
// on the io thread only, to load what is pending at start and to delete rows
// the broker acknowledged. Writers (the daemon, a plugin's strand) use their
// own connections to the same WAL file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "outbox/outbox.hpp"
#include "outbox/sqlite.hpp"

namespace kazasu {

class OutboxStore {
 public:
  OutboxStore(std::string owner, const std::filesystem::path& file)
      : owner_(std::move(owner)), db_(file, sqlite::Sync::full) {
    outbox::ensure_schema(db_);
  }
  [[nodiscard]] const std::string& owner() const { return owner_; }
  std::vector<OutboxMessage> pending() { return outbox::pending(db_); }
  void acknowledged(int64_t seq) { outbox::remove(db_, {seq}); }
  int64_t count() { return outbox::count(db_); }

 private:
  std::string owner_;
  sqlite::Database db_;
};

}  // namespace kazasu
