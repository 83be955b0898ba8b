// The election plugin's settings: declared for the host (types, ranges,
// unknown keys with FILE:LINE errors) and read into a struct, where the rules
// the host cannot check alone are checked (check_settings reports them).
#pragma once

#include <kazasu/plugin.h>

#include <cstdint>
#include <string>
#include <vector>

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
    {"max_roll_mb", KAZASU_SETTING_INTEGER, "64",
     "Most megabytes of CSV one roll may have, sent whole or in parts (import_roll with upload, part, parts).", 1,
     1024},
    {"reception", KAZASU_SETTING_STRING, "\"confirm\"",
     "confirm: a tap shows the match and staff confirm the reception (Art. 44); one_step: the tap receives.", 0, 0},
    {"match_timeout_s", KAZASU_SETTING_INTEGER, "300",
     "Seconds a match waits for staff to confirm before the voter must tap again.", 10, 3600},
    {"find_by", KAZASU_SETTING_STRING_LIST, R"(["token"])",
     "How a tap finds the voter: token (a card linked at registration, My Number Card or free-area card), "
     "basic_four (the card-face data read with the voter's PIN, matched on the roll; needs card.basic_info).",
     0, 0},
    {"not_eligible_notes", KAZASU_SETTING_STRING_LIST,
     R"(["moved_in_after_cutoff", "suspended", "転入3か月未満", "公民権停止"])",
     "Roll notes that mean the voter cannot vote in this election: a tap is refused with not_eligible.", 0, 0},
    {"declaration_fields", KAZASU_SETTING_STRING, "\"none\"",
     "Personal fields the early-voting declaration carries, from the roll: none, name or name_address.", 0, 0},
    {"declaration_over_plain_mqtt", KAZASU_SETTING_BOOLEAN, "false",
     "Allow the declaration's personal fields on a broker link without TLS (the city's explicit choice).", 0, 0},
    {"retention_days", KAZASU_SETTING_INTEGER, "90",
     "Days after close before election/cmd/purge may delete the roll and the receptions.", 0, 3650},
};

struct ElectionConfig {
  std::string polling_station;
  std::string counter_reader;
  int64_t link_timeout_ms = 120000;
  std::string link_min_assurance = "possession";
  int64_t max_roll_lines = 200000;
  int64_t max_roll_bytes = 64LL * 1024 * 1024;
  bool one_step = false;
  int64_t match_timeout_ms = 300000;
  bool by_token = true;
  bool by_basic_four = false;
  std::vector<std::string> not_eligible_notes;
  std::string declaration_fields = "none";
  bool declaration_over_plain_mqtt = false;
  int64_t retention_days = 90;
};

/** Reads the host's config JSON (defaults filled in); throws std::invalid_argument "key: what is wrong". */
ElectionConfig parse_config(const std::string& config_json);

/** Rank of an assurance level; -1 when unknown ("uid" ranks 0, below every setting). */
int assurance_rank(const std::string& level);

}  // namespace kazasu::election
