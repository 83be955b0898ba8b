// The embedded shared-state engine: one SQLite file (WAL), for a single
// station or for several kazasud on one machine, which serialise their
// writes through SQLite's own locking (BEGIN IMMEDIATE, busy timeout).
#pragma once

#include <filesystem>
#include <mutex>

#include "outbox/sqlite.hpp"
#include "shared/shared_engine.hpp"

namespace kazasu::shared {

class SqliteEngine : public Engine {
 public:
  /** Opens or creates the file and its schema; throws on failure. */
  explicit SqliteEngine(const std::filesystem::path& file);
  [[nodiscard]] const char* name() const override { return "sqlite"; }

  Result claim(std::string_view plugin, std::string_view key, std::string_view value, std::string_view claim_id,
               const Writer& writer) override;
  Status release(std::string_view plugin, std::string_view key, std::string_view claim_id) override;
  Result get(std::string_view plugin, std::string_view key) override;
  Result put(std::string_view plugin, std::string_view key, std::optional<std::string_view> value,
             int64_t expected_version, const Writer& writer) override;
  Status append(std::string_view plugin, std::string_view key, const Entry& entry) override;
  Entries entries(std::string_view plugin, std::string_view key, size_t limit) override;
  std::optional<std::set<std::string>> held_ids(std::string_view plugin, std::string_view key,
                                                const std::vector<std::string>& ids) override;
  std::optional<std::vector<HeldClaim>> claims_of(std::string_view plugin, std::string_view station) override;

 private:
  std::optional<Record> read(std::string_view plugin, std::string_view key);
  std::mutex mutex_;
  sqlite::Database db_;
};

}  // namespace kazasu::shared
