// The points plugin's settings: declared for the host (types, ranges, unknown
// keys with FILE:LINE errors) and read into a struct. Rules, events, prizes
// and projects are lists of short "key=value key=value" specs, checked here
// by hand (bounded, no regular expressions); check_settings reports the first
// problem at its key.
#pragma once

#include <kazasu/plugin.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kazasu::points {

inline constexpr kazasu_setting kPointsSettings[] = {
    {"facility", KAZASU_SETTING_STRING, nullptr,
     "This station's facility id (A-Z, a-z, 0-9, _, -; at most 32): taps award by its rule. Required.", 0, 0},
    {"facility_readers", KAZASU_SETTING_STRING_LIST, "[]",
     "Readers that belong to another facility of this station, as \"reader=facility\".", 0, 0},
    {"rules", KAZASU_SETTING_STRING_LIST, "[]",
     "Points per visit by facility: \"facility=ID points=N per_day=N\" (per_day: awards per account per facility "
     "per station day).",
     0, 0},
    {"events", KAZASU_SETTING_STRING_LIST, "[]",
     "Event bonuses: \"event=ID facility=ID points=N from=YYYY-MM-DDTHH:MM to=YYYY-MM-DDTHH:MM\" (station time, "
     "to exclusive), once per account and event.",
     0, 0},
    {"prizes", KAZASU_SETTING_STRING_LIST, "[]",
     "What points buy: \"prize=ID cost=N stock=N\" or \"prize=ID cost=N kind=draw\" (a draw entry, no stock).", 0, 0},
    {"projects", KAZASU_SETTING_STRING_LIST, "[]",
     "Citizen-proposed projects taking donations: \"project=ID target=N from=YYYY-MM-DD to=YYYY-MM-DD\" (days "
     "inclusive).",
     0, 0},
    {"balance_readers", KAZASU_SETTING_STRING_LIST, "[]", "Readers that answer the balance instead of awarding.", 0, 0},
    {"register_reader", KAZASU_SETTING_STRING, "\"\"",
     "Reader that points/cmd/register arms when the command names neither a token nor a reader.", 0, 0},
    {"register_timeout_s", KAZASU_SETTING_INTEGER, "120",
     "Seconds an armed reader waits for the resident's tap before the registration lapses.", 5, 3600},
    {"yearly_cap", KAZASU_SETTING_INTEGER, "5000", "Points an account may earn per fiscal year; 0: no cap.", 0,
     100000000},
    {"fiscal_year_start_month", KAZASU_SETTING_INTEGER, "4", "First month of the fiscal year (4: April, Japan).", 1,
     12},
    {"close_rule", KAZASU_SETTING_STRING, "\"forfeit\"",
     "Where a closed account's balance goes: forfeit, or donate (to close_project while it takes donations).", 0, 0},
    {"close_project", KAZASU_SETTING_STRING, "\"\"", "The project a closed account's balance is donated to.", 0, 0},
    {"short_rule", KAZASU_SETTING_STRING, "\"refund\"",
     "A project that ends short of its target: refund (every donation goes back) or keep.", 0, 0},
    {"sync_interval_s", KAZASU_SETTING_INTEGER, "30",
     "Seconds between checks of offline awards against the caps and of ended projects.", 1, 3600},
    {"history_limit", KAZASU_SETTING_INTEGER, "20", "Entries a balance answer lists.", 1, 200},
};

struct FacilityRule {
  std::string facility;
  int64_t points = 0;
  int64_t per_day = 1;
};

struct EventRule {
  std::string event;
  std::string facility;
  int64_t points = 0;
  std::string from;  // station time "YYYY-MM-DDTHH:MM", inclusive
  std::string to;    // exclusive
};

struct Prize {
  std::string prize;
  int64_t cost = 0;
  std::optional<int64_t> stock;  // nullopt: a draw entry without stock
  std::string kind = "prize";    // prize, draw
};

struct Project {
  std::string project;
  int64_t target = 0;
  std::string from;  // YYYY-MM-DD, inclusive
  std::string to;
};

struct PointsConfig {
  std::string facility;
  std::map<std::string, std::string> facility_readers;  // reader -> facility
  std::map<std::string, FacilityRule> rules;
  std::vector<EventRule> events;
  std::map<std::string, Prize> prizes;
  std::map<std::string, Project> projects;
  std::set<std::string> balance_readers;
  std::string register_reader;
  int64_t register_timeout_ms = 120'000;
  int64_t yearly_cap = 5000;
  int fiscal_year_start_month = 4;
  std::string close_rule = "forfeit";
  std::string close_project;
  std::string short_rule = "refund";
  int64_t sync_interval_ms = 30'000;
  int64_t history_limit = 20;

  /** The facility a reader's taps count for. */
  [[nodiscard]] const std::string& facility_of(const std::string& reader) const;
};

/** Reads the host's config JSON (defaults filled in); throws std::invalid_argument "key: what is wrong". */
PointsConfig parse_config(const std::string& config_json);

/** 1 to 32 of A-Z, a-z, 0-9, _, -: facility, event, prize and project ids. */
bool valid_id(std::string_view s);

/** The fiscal year a station day (YYYY-MM-DD) falls in: the calendar year its first month is in. */
int fiscal_year(std::string_view day, int start_month);

}  // namespace kazasu::points
