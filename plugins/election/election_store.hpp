// The election plugin's own SQLite file: elections, roll versions (with the
// voters' personal data, which never leaves this file), card links, armed
// readers, this station's receptions and daily counters. The city-wide
// "received once" lives in the shared engine (claims), not here.
#pragma once

#include <sqlite3.h>
#include <kazasu/sqlite.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "roll_csv.hpp"

namespace kazasu::election {

struct StationEntry {
  std::string id;
  bool early_voting = true;
  bool election_day = true;
};

struct Election {
  std::string id;
  std::string name;
  std::string early_start;  // YYYY-MM-DD
  std::string early_end;
  std::string election_day;
  std::vector<StationEntry> stations;
  int64_t closed_ms = 0;  // 0: open
  int64_t purged_ms = 0;  // 0: the roll and receptions are still here
};

/** What a day is for an election at one station. */
enum class DayKind { none, early, election_day };

struct RollVersion {
  int64_t version = 0;  // 0: no roll yet
  int64_t voters = 0;
  int64_t imported_ms = 0;
};

struct Arm {
  std::string reader;
  std::string election;
  std::string voter_number;
  int64_t expires_ms = 0;
};

struct Reception {
  std::string day;
  int64_t at_ms = 0;
  std::string kind;              // early, election_day, absentee
  std::string method = "token";  // token, basic_four, roll (no card), paper, absentee
};

/** A tap that found a voter and waits for staff to confirm. */
struct Match {
  std::string election;
  std::string voter_number;
  std::string method;  // token, basic_four
  std::string tap_id;
  int64_t at_ms = 0;
  int64_t expires_ms = 0;
};

/** Hourly reconciliation: ballots issued as staff counted them, beside the receptions. */
struct Reconciliation {
  std::string day;
  std::string hour;  // "10": up to 10:00 station time
  int64_t issued = 0;
  int64_t receptions = 0;
};

struct RollDiff {
  int64_t added = 0;
  int64_t removed = 0;
  int64_t changed = 0;
  [[nodiscard]] bool none() const { return added == 0 && removed == 0 && changed == 0; }
};

class ElectionStore {
 public:
  explicit ElectionStore(sqlite3* db) : db_(db) {}

  void migrate();
  [[nodiscard]] int schema_version() const;

  [[nodiscard]] std::optional<Election> election(std::string_view id) const;
  void add_election(const Election& e, int64_t now_ms);
  /** Elections that take receptions at `station` on `day` (early voting there, or its election day). */
  [[nodiscard]] std::vector<std::pair<Election, DayKind>> active(std::string_view station, std::string_view day) const;

  [[nodiscard]] RollVersion current_roll(std::string_view election) const;
  /** How `voters` differs from the current version. */
  [[nodiscard]] RollDiff diff(std::string_view election, const std::vector<Voter>& voters) const;
  /** Stores `voters` as version current+1; returns it. */
  int64_t add_roll(std::string_view election, const std::vector<Voter>& voters, const RollDiff& d, int64_t now_ms,
                   std::string_view command_id);
  /** The voter in the current roll version. */
  [[nodiscard]] std::optional<Voter> voter(std::string_view election, std::string_view voter_number) const;

  /** The voter number `token` is linked to in `election`. */
  [[nodiscard]] std::optional<std::string> voter_of(std::string_view election, std::string_view token) const;
  [[nodiscard]] bool has_link(std::string_view election, std::string_view voter_number) const;
  /** Links the card to the voter (replacing the voter's previous card); false when it belongs to another voter. */
  bool link(std::string_view election, std::string_view voter_number, std::string_view token, int64_t now_ms,
            bool& replaced);

  void arm(const Arm& a);
  [[nodiscard]] std::optional<Arm> active_arm(std::string_view reader, int64_t now_ms);
  void disarm(std::string_view reader);

  [[nodiscard]] std::optional<Reception> reception(std::string_view election, std::string_view voter_number) const;
  /** Records a reception here; returns its row id (unique on this station, the tallies' entry id). */
  int64_t add_reception(std::string_view election, const Voter& v, const Reception& r, int64_t roll_version,
                        std::string_view tap_id);
  /** Receptions here on `day`: total, by kind, by sex, by station hour ("08") and sex, by district. */
  struct DayCounts {
    int64_t total = 0, early = 0, election_day = 0, absentee = 0, male = 0, female = 0;
    std::map<std::string, int64_t> by_hour;
    std::map<std::string, std::pair<int64_t, int64_t>> by_hour_sex;  // hour -> (male, female)
    std::map<std::string, int64_t> by_district;
  };
  [[nodiscard]] DayCounts reception_counts(std::string_view election, std::string_view day,
                                           int32_t utc_offset_seconds) const;

  /** Receptions here on `day` before `hour`:00 station time that issued a ballot here (absentee excluded). */
  [[nodiscard]] int64_t receptions_before(std::string_view election, std::string_view day, int hour,
                                          int32_t utc_offset_seconds) const;
  /** This station's receptions of `election` as CSV (no names, no addresses). */
  [[nodiscard]] std::string receptions_csv(std::string_view election, int32_t utc_offset_seconds) const;

  /** Voters of the current roll born on `birth_date` (YYYY-MM-DD): the candidates of a basic-four match. */
  [[nodiscard]] std::vector<Voter> voters_born(std::string_view election, std::string_view birth_date) const;
  /** The current roll's size: all of it, or those assigned to `station`, or in `district`. */
  [[nodiscard]] int64_t electorate(std::string_view election, std::string_view station = {},
                                   std::string_view district = {}) const;
  /** The current roll's districts with their electorate. */
  [[nodiscard]] std::map<std::string, int64_t> districts(std::string_view election) const;

  /** The parts of a roll upload kept so far. */
  struct Staged {
    int64_t parts = 0;  // as the first part said; 0: none kept
    int64_t count = 0;
    int64_t bytes = 0;
    std::vector<int64_t> numbers;
    [[nodiscard]] bool has(int64_t part) const;
  };
  [[nodiscard]] Staged staged_parts(std::string_view election, std::string_view upload) const;
  void put_part(std::string_view election, std::string_view upload, int64_t part, int64_t parts, std::string_view csv,
                int64_t now_ms);
  [[nodiscard]] std::string joined_parts(std::string_view election, std::string_view upload) const;
  void drop_parts(std::string_view election, std::string_view upload);
  void drop_stale_parts(int64_t before_ms);

  void put_match(const Match& m);
  [[nodiscard]] std::optional<Match> match(std::string_view election, std::string_view voter_number,
                                           int64_t now_ms) const;
  void drop_match(std::string_view election, std::string_view voter_number);

  void put_reconciliation(std::string_view election, const Reconciliation& r, int64_t now_ms);

  void close(std::string_view election, int64_t now_ms);
  /** Deletes the roll, links, matches, receptions and counters; returns {voters, receptions} deleted. */
  std::pair<int64_t, int64_t> purge(std::string_view election, int64_t now_ms);
  /** Voter numbers received here in `election` (for releasing their claims at purge). */
  [[nodiscard]] std::vector<std::string> received_here(std::string_view election) const;

  void count(std::string_view election, std::string_view day, std::string_view counter);
  [[nodiscard]] std::map<std::string, int64_t> counts(std::string_view election, std::string_view day) const;

 private:
  sqlite3* db_;
  // Its SQL runs on every tap: prepared once per connection, not per call.
  mutable db::StatementCache sql_{db_};
};

/** The kind of `day` for `e` at `station`. */
DayKind day_kind(const Election& e, std::string_view station, std::string_view day);

}  // namespace kazasu::election
