// The points plugin's own SQLite file: this station's mirror of the movements
// it made (for the daily limit while offline, for checking offline awards
// against the caps once they reach the engine, and for the monthly report),
// a cache of the accounts it has seen (so a tap is honoured while the city's
// engine is away), armed registration readers, and small bookkeeping. The
// ledger itself, and every balance, lives in the shared state (ledger.hpp).
#pragma once

#include <sqlite3.h>
#include <kazasu/sqlite.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kazasu::points {

/** One movement this station made, as its mirror keeps it. */
struct MovementRow {
  std::string id;    // the movement id (ledger.hpp)
  std::string kind;  // visit, bonus, correction, redeem, donate, refund, close
  std::string token;
  std::string facility;
  std::string event;
  std::string ref;     // prize, project or corrected movement
  int64_t amount = 0;  // to the account: + earned, - spent
  std::string day;     // station day YYYY-MM-DD
  int fy = 0;
  int64_t at_ms = 0;
  bool offline = false;  // made while the engine was away (checked against the caps later)
  bool checked = true;
  std::string request;  // a command's request, canonical JSON ("" for taps)
  std::string result;   // the command's reply, for a repeated request
};

/** An account as this station last saw it on the engine. */
struct CachedAccount {
  std::string status;
  int64_t balance = 0;
  int fy = 0;
  int64_t fy_earned = 0;
  int64_t seen_ms = 0;
};

struct Arm {
  std::string reader;
  std::string consent_method;
  int64_t consent_ms = 0;
  int64_t expires_ms = 0;
};

/** A line of the monthly report: entries of one kind at one facility (or event) on one day. */
struct ReportLine {
  std::string day;
  std::string facility;
  std::string event;
  std::string kind;
  int64_t entries = 0;
  int64_t points = 0;
  int64_t participants = 0;  // distinct accounts
};

class PointsStore {
 public:
  explicit PointsStore(sqlite3* db) : db_(db) {}

  void migrate();
  [[nodiscard]] int schema_version() const;

  [[nodiscard]] std::optional<MovementRow> movement(std::string_view id) const;
  /** Records a movement; false when its id is there already (a replay). */
  bool add_movement(const MovementRow& m);
  /** Visits of `token` at `facility` on `day` made here, less those corrected for the daily limit. */
  [[nodiscard]] int64_t local_visits(std::string_view token, std::string_view facility, std::string_view day) const;
  /** Bonuses of `event` to `token` made here. */
  [[nodiscard]] int64_t local_bonuses(std::string_view token, std::string_view event) const;
  /** Points earned here by `token` in fiscal year `fy` while offline after `after_ms`. */
  [[nodiscard]] int64_t offline_earned_since(std::string_view token, int fy, int64_t after_ms) const;
  /** Offline awards not yet checked against the caps. */
  [[nodiscard]] std::vector<MovementRow> unchecked_offline() const;
  void set_checked(std::string_view id);
  [[nodiscard]] std::vector<MovementRow> unverified(size_t limit) const;
  void set_verified(std::string_view id);
  [[nodiscard]] int64_t movements_here(std::string_view kind) const;

  [[nodiscard]] std::optional<CachedAccount> cached(std::string_view token) const;
  void remember(std::string_view token, const CachedAccount& a);
  void forget(std::string_view token);

  void arm(const Arm& a);
  [[nodiscard]] std::optional<Arm> active_arm(std::string_view reader, int64_t now_ms) const;
  void disarm(std::string_view reader);

  [[nodiscard]] bool known_stream(std::string_view key) const;
  void remember_stream(std::string_view key);

  [[nodiscard]] std::optional<std::string> settled(std::string_view project) const;
  void settle(std::string_view project, std::string_view outcome, int64_t at_ms);

  [[nodiscard]] std::optional<std::string> state(std::string_view key) const;
  void set_state(std::string_view key, std::string_view value);

  /** Counts taps that moved no points (unknown cards, refusals) for the report. */
  void count(std::string_view day, std::string_view facility, std::string_view name);

  /** The month's lines (YYYY-MM), oldest day first. */
  [[nodiscard]] std::vector<ReportLine> report(std::string_view month) const;
  /** Distinct accounts that earned points at each facility in the month. */
  [[nodiscard]] std::vector<std::pair<std::string, int64_t>> participants(std::string_view month) const;
  /** Refusals and unknown cards in the month, by facility and name. */
  [[nodiscard]] std::vector<std::pair<std::string, int64_t>> refusals(std::string_view month) const;

 private:
  sqlite3* db_;
  // Its SQL runs on every tap: prepared once per connection, not per call.
  mutable db::StatementCache sql_{db_};
};

}  // namespace kazasu::points
