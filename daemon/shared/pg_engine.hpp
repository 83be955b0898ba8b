// The city's shared-state engine: PostgreSQL through libpq. kazasud creates
// and migrates its schema (`kazasu`) on the first connection that works, so a
// station that starts while city hall is unreachable still starts.
//
// Every call is bounded by one deadline ([shared] deadline_ms) covering
// connecting, sending and reading; past it the call answers `unavailable` and
// its connection is dropped. A claim whose answer was lost that way may still
// have been recorded, so its id is kept and released on the next connection
// that works: a claim never outlives the tap that failed to learn of it.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "shared/shared_engine.hpp"

namespace kazasu::shared {

class PgEngine : public Engine {
 public:
  struct Options {
    std::string conninfo;  // libpq keywords: host, port, dbname, user, password, sslmode, sslrootcert, ...
    std::chrono::milliseconds deadline{1500};
    size_t max_idle_connections = 4;
  };
  explicit PgEngine(Options options);
  ~PgEngine() override;
  PgEngine(const PgEngine&) = delete;
  PgEngine& operator=(const PgEngine&) = delete;
  [[nodiscard]] const char* name() const override { return "postgresql"; }

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

  class Connection;
  class Rows;

 private:
  using Clock = std::chrono::steady_clock;
  std::unique_ptr<Connection> take(Clock::time_point deadline, std::string& error);
  void give(std::unique_ptr<Connection> c);
  void release_orphans(Connection& c, Clock::time_point deadline);
  Result read(Connection& c, std::string_view plugin, std::string_view key, Clock::time_point deadline);

  Options options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
  bool migrated_ = false;
  // A claim whose answer was lost. Its insert may still be queued in a
  // backend that wakes later, so a release that finds nothing is tried again
  // (every second, for kOrphanLife) before the orphan is forgotten.
  struct Orphan {
    std::string plugin, key, claim_id;
    Clock::time_point next_try;
    Clock::time_point expires;
  };
  void add_orphan(std::string_view plugin, std::string_view key, std::string_view claim_id);
  std::deque<Orphan> orphans_;  // bounded
};

}  // namespace kazasu::shared
