// Parsing and checking a voter roll sent as CSV text (election/cmd/import_roll).
// Pure functions: no database, no host. Bounded: the caller gives the limits,
// and every rule is a hand-written check (no regular expressions), so a hostile
// or broken export costs at most one pass over its bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kazasu::election {

/** One entry of the roll. Personal data: it stays in the plugin's own file. */
struct Voter {
  std::string voter_number;  // 選挙人名簿番号 as the roll system writes it
  std::string name_kanji;
  std::string name_kana;
  std::string birth_date;  // YYYY-MM-DD
  std::string sex;         // "1" male, "2" female (住基 / ISO 5218 coding)
  std::string district;    // 投票区
  std::string station;     // the polling station assigned for election day
  std::string note;        // eligibility note, may be empty
  std::string address;     // 住所 as the roll writes it, may be empty (then no basic-four match)

  bool operator==(const Voter&) const = default;
};

/** A line that was not taken, with its 1-based line number and why. */
struct RejectedLine {
  size_t line = 0;
  std::string reason;  // names the field and the rule, never the field's value
};

struct RollRules {
  size_t max_lines = 100000;       // data lines, the header not counted
  std::set<std::string> stations;  // the election's stations: an assigned station must be one
  std::optional<int64_t>
      election_day;  // day number; voters must be 18 by then (age counts from the day before the birthday)
};

struct ParsedRoll {
  std::vector<Voter> voters;  // in the order of the text
  std::vector<RejectedLine> rejected;
  size_t rejected_total = 0;  // rejected.size() is capped (kMaxReported)
  bool had_header = false;
};

/** At most this many rejected lines are listed; rejected_total counts them all. */
inline constexpr size_t kMaxReported = 200;

/** The header line a roll may start with (the same names, in this order; address optional). */
inline constexpr const char* kRollHeader = "voter_number,name_kanji,name_kana,birth_date,sex,district,station,note";
inline constexpr const char* kRollHeaderWithAddress =
    "voter_number,name_kanji,name_kana,birth_date,sex,district,station,note,address";

/**
 * Splits one CSV line (no line break inside) into fields: commas separate,
 * a field may be double-quoted with "" for a quote. nullopt with `why` set
 * for an unterminated quote or text after a closing quote.
 */
std::optional<std::vector<std::string>> split_csv_line(std::string_view line, std::string& why);

/** True for well-formed UTF-8 without control characters (tab included). */
bool clean_utf8(std::string_view s);

/** Parses and checks the whole roll; the caller imports nothing when `rejected_total` > 0. */
ParsedRoll parse_roll(std::string_view text, const RollRules& rules);

/** True when `s` can be a voter number: 1 to 32 of [0-9A-Za-z-]. */
bool valid_voter_number(std::string_view s);

/** True for a station or election id: 1 to 64 of [A-Za-z0-9_-]. */
bool valid_id(std::string_view s);

}  // namespace kazasu::election
