// The election plugin's settings: declared for the host (types, ranges,
// unknown keys with FILE:LINE errors) and read into a struct, where the rules
// the host cannot check alone are checked (check_settings reports them).
#pragma once

#include <kazasu/plugin.h>

#include <cstdint>
#include <string>

namespace kazasu::election {

inline constexpr kazasu_setting kElectionSettings[] = {
    {"polling_station", KAZASU_SETTING_STRING, nullptr,
     "This polling station's id as election/cmd/open lists it (A-Z, a-z, 0-9, _, -; at most 64). Required.", 0, 0},
    {"counter_reader", KAZASU_SETTING_STRING, "\"\"",
     "Reader that election/cmd/link arms when the command names none (the registration counter's reader).", 0, 0},
    {"link_timeout_s", KAZASU_SETTING_INTEGER, "120",
     "Seconds an armed reader waits for the voter's tap before the link request lapses.", 5, 3600},
    {"link_min_assurance", KAZASU_SETTING_STRING, "\"possession\"",
     "Lowest assurance a linking tap needs: fast, verified or possession (possession recommended).", 0, 0},
    {"max_roll_lines", KAZASU_SETTING_INTEGER, "200000",
     "Most entries election/cmd/import_roll takes in one roll; a longer roll is refused whole.", 1, 1000000},
};

struct ElectionConfig {
  std::string polling_station;
  std::string counter_reader;
  int64_t link_timeout_ms = 120000;
  std::string link_min_assurance = "possession";
  int64_t max_roll_lines = 200000;
};

/** Reads the host's config JSON (defaults filled in); throws std::invalid_argument "key: what is wrong". */
ElectionConfig parse_config(const std::string& config_json);

/** Rank of an assurance level; -1 when unknown ("uid" ranks 0, below every setting). */
int assurance_rank(const std::string& level);

}  // namespace kazasu::election
