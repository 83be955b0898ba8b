// Commands from the election office's and the counter's PCs that set an
// election up: open, import_roll, link. Every refusal carries a code and a
// sentence for staff. The reception commands are in reception_commands.cpp,
// counts and closing in counts_commands.cpp.
#include <algorithm>
#include <kazasu/command_fields.hpp>
#include <kazasu/reader_names.hpp>
#include <kazasu/station_time.hpp>
#include <set>

#include "election_plugin.hpp"

namespace kazasu::election {
namespace {

using kazasu::CommandError;
using nlohmann::json;

constexpr size_t kMaxStations = 1000;
constexpr size_t kMaxNameBytes = 200;
constexpr int64_t kMaxRollParts = 10000;
constexpr int64_t kPartsKeptMs = 24LL * 3600 * 1000;  // an upload left unfinished for a day is dropped

std::string day_field(const json& request, const char* name) {
  std::string d = *kazasu::fields::string(request, name, true);
  if (!valid_day(d))
    throw CommandError("invalid_day", std::string("\"") + name + "\" must be a date written YYYY-MM-DD");
  return d;
}

bool flag(const json& station, const char* name) {
  if (!station.contains(name)) return true;
  if (!station[name].is_boolean())
    throw CommandError("invalid_stations", std::string("\"") + name + "\" must be true or false");
  return station[name].get<bool>();
}

json election_json(const Election& e) {
  json stations = json::array();
  for (const auto& s : e.stations) {
    stations.push_back(json{{"id", s.id}, {"early_voting", s.early_voting}, {"election_day", s.election_day}});
  }
  return json{{"election", e.id},
              {"name", e.name},
              {"early_voting_start", e.early_start},
              {"early_voting_end", e.early_end},
              {"election_day", e.election_day},
              {"stations", stations}};
}

}  // namespace

std::string ElectionPlugin::on_command(const kazasu::Command& command) {
  const json request = json::parse(command.payload_json, nullptr, false);
  if (request.is_discarded()) throw CommandError("malformed_json", "the command is not valid JSON");
  if (!request.is_object()) throw CommandError("not_an_object", "the command must be a JSON object");
  if (command.name == "open") return open_command(request);
  if (command.name == "import_roll") return import_command(request, command);
  if (command.name == "link") return link_command(request);
  if (command.name == "confirm") return confirm_command(request, command);
  if (command.name == "absentee") return absentee_command(request, command);
  if (command.name == "enter_paper") return paper_command(request, command);
  if (command.name == "counts") return counts_command(request);
  if (command.name == "ballots_issued") return ballots_command(request);
  if (command.name == "close") return close_command(request);
  if (command.name == "purge") return purge_command(request);
  return Plugin::on_command(command);
}

Election ElectionPlugin::election_field(const json& request, bool open_only) const {
  const std::string id = *kazasu::fields::string(request, "election", true);
  if (!valid_id(id)) throw CommandError("invalid_election", "\"election\" must be 1 to 64 of A-Z, a-z, 0-9, _, -");
  auto e = store_.election(id);
  if (!e) throw CommandError("unknown_election", "no election \"" + id + "\" was opened on this station");
  if (open_only && e->closed_ms != 0) {
    throw CommandError("election_closed", "election \"" + id + "\" is closed: nothing more can be recorded");
  }
  return *e;
}

Voter ElectionPlugin::voter_field(const json& request, const Election& e) const {
  const std::string number = *kazasu::fields::string(request, "voter_number", true);
  if (!valid_voter_number(number)) {
    throw CommandError("invalid_voter_number", "\"voter_number\" must be 1 to 32 of 0-9, A-Z, a-z, -");
  }
  auto v = store_.voter(e.id, number);
  if (!v) throw CommandError("unknown_voter", "voter number " + number + " is not in the current roll of " + e.id);
  return *v;
}

std::string ElectionPlugin::open_command(const json& request) {
  kazasu::fields::only(request,
                       {"election", "name", "early_voting_start", "early_voting_end", "election_day", "stations"});
  Election e;
  e.id = *kazasu::fields::string(request, "election", true);
  if (!valid_id(e.id)) throw CommandError("invalid_election", "\"election\" must be 1 to 64 of A-Z, a-z, 0-9, _, -");
  e.name = *kazasu::fields::string(request, "name", true, false);
  if (e.name.size() > kMaxNameBytes || !clean_utf8(e.name)) {
    throw CommandError("invalid_name", "\"name\" must be clean UTF-8 of at most 200 bytes");
  }
  e.early_start = day_field(request, "early_voting_start");
  e.early_end = day_field(request, "early_voting_end");
  e.election_day = day_field(request, "election_day");
  if (!(e.early_start <= e.early_end && e.early_end < e.election_day)) {
    throw CommandError("invalid_period",
                       "the voting period must run early_voting_start <= early_voting_end < election_day");
  }
  if (!request.contains("stations")) throw CommandError("missing_field", "the command needs a \"stations\" array");
  const json& stations = request["stations"];
  if (!stations.is_array() || stations.empty() || stations.size() > kMaxStations) {
    throw CommandError("invalid_stations", "\"stations\" must be an array of 1 to 1000 stations");
  }
  std::set<std::string> ids;
  for (const auto& s : stations) {
    if (!s.is_object()) throw CommandError("invalid_stations", "each station must be an object with an \"id\"");
    kazasu::fields::only(s, {"id", "early_voting", "election_day"});
    StationEntry entry;
    entry.id = *kazasu::fields::string(s, "id", true);
    if (!valid_id(entry.id))
      throw CommandError("invalid_stations", "a station id must be 1 to 64 of A-Z, a-z, 0-9, _, -");
    entry.early_voting = flag(s, "early_voting");
    entry.election_day = flag(s, "election_day");
    if (!entry.early_voting && !entry.election_day) {
      throw CommandError("invalid_stations",
                         "station \"" + entry.id + "\" takes part in neither early voting nor election day");
    }
    if (!ids.insert(entry.id).second)
      throw CommandError("invalid_stations", "station \"" + entry.id + "\" is listed twice");
    e.stations.push_back(entry);
  }
  std::sort(e.stations.begin(), e.stations.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  bool unchanged = false;
  if (const auto old = store_.election(e.id)) {
    // Opening is not editing: a different period or station list needs a new election id.
    if (election_json(*old) != election_json(e)) {
      throw CommandError("election_exists", "election \"" + e.id + "\" is already open with other details");
    }
    unchanged = true;
  } else {
    store_.add_election(e, host().now_unix_ms());
    log(KAZASU_LOG_INFO, "election opened election=" + e.id + " stations=" + std::to_string(e.stations.size()));
  }
  json out = election_json(e);
  out["stations"] = static_cast<int64_t>(e.stations.size());
  out["opened"] = true;
  out["unchanged"] = unchanged;
  out["this_station"] = ids.contains(config_.polling_station);
  out["roll_version"] = store_.current_roll(e.id).version;
  return out.dump();
}

std::string ElectionPlugin::import_command(const json& request, const kazasu::Command& command) {
  kazasu::fields::only(request, {"election", "csv", "upload", "part", "parts"});
  const Election e = election_field(request);
  std::string csv = *kazasu::fields::string(request, "csv", true, false);
  if (request.contains("upload") || request.contains("part") || request.contains("parts")) {
    // A roll larger than one command travels in parts; nothing is imported
    // until the last one is here, and then the whole roll is checked as one.
    auto staged = stage_part(request, e, std::move(csv));
    if (!staged) return pending_reply(request, e);
    csv = std::move(*staged);
  } else if (static_cast<int64_t>(csv.size()) > config_.max_roll_bytes) {
    throw CommandError("roll_too_large", "the roll is over max_roll_mb");
  }
  RollRules rules;
  rules.max_lines = static_cast<size_t>(config_.max_roll_lines);
  for (const auto& s : e.stations) {
    if (s.election_day) rules.stations.insert(s.id);
  }
  rules.election_day = parse_day(e.election_day);
  const ParsedRoll roll = parse_roll(csv, rules);
  const RollVersion current = store_.current_roll(e.id);
  json rejected = json::array();
  for (const auto& r : roll.rejected) rejected.push_back(json{{"line", r.line}, {"reason", r.reason}});
  if (roll.rejected_total > 0) {
    // All or nothing: the roll stays as it was.
    log(KAZASU_LOG_NOTICE, "roll refused election=" + e.id + " rejected_lines=" + std::to_string(roll.rejected_total));
    return json{{"election", e.id},
                {"imported", false},
                {"version", current.version},
                {"voters", current.voters},
                {"rejected_total", roll.rejected_total},
                {"rejected", rejected}}
        .dump();
  }
  if (roll.voters.empty()) throw CommandError("empty_roll", "the roll has no entries");
  const RollDiff d = store_.diff(e.id, roll.voters);
  const bool unchanged = current.version > 0 && d.none();
  const int64_t version =
      unchanged ? current.version : store_.add_roll(e.id, roll.voters, d, host().now_unix_ms(), command.id);
  if (!unchanged) {
    log(KAZASU_LOG_INFO, "roll imported election=" + e.id + " version=" + std::to_string(version) +
                             " voters=" + std::to_string(roll.voters.size()));
  }
  return json{{"election", e.id},
              {"imported", true},
              {"unchanged", unchanged},
              {"version", version},
              {"previous_version", current.version},
              {"voters", roll.voters.size()},
              {"added", d.added},
              {"removed", d.removed},
              {"changed", d.changed},
              {"rejected_total", 0},
              {"rejected", rejected}}
      .dump();
}

std::optional<std::string> ElectionPlugin::stage_part(const json& request, const Election& e, std::string csv) {
  const std::string upload = *kazasu::fields::string(request, "upload", true);
  if (!valid_id(upload)) throw CommandError("invalid_field", "\"upload\" must be 1 to 64 of A-Z, a-z, 0-9, _, -");
  auto whole = [&](const char* name) {
    if (!request.contains(name)) {
      throw CommandError("missing_field", std::string("a roll in parts needs \"") + name + "\"");
    }
    const json& v = request[name];
    if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > kMaxRollParts) {
      throw CommandError("invalid_field", std::string("\"") + name + "\" must be a whole number from 1 to " +
                                              std::to_string(kMaxRollParts));
    }
    return v.get<int64_t>();
  };
  const int64_t part = whole("part");
  const int64_t parts = whole("parts");
  if (part > parts) throw CommandError("invalid_field", "\"part\" cannot be more than \"parts\"");
  // Parts join at line breaks, so every line's number is its number in the whole roll.
  if (part < parts && csv.back() != '\n') {
    throw CommandError("invalid_field", "every part but the last must end with a line break");
  }
  const int64_t now = host().now_unix_ms();
  store_.drop_stale_parts(now - kPartsKeptMs);
  const auto staged = store_.staged_parts(e.id, upload);
  if (staged.parts != 0 && staged.parts != parts) {
    throw CommandError("invalid_field",
                       "upload \"" + upload + "\" was started with " + std::to_string(staged.parts) + " parts");
  }
  if (staged.bytes + static_cast<int64_t>(csv.size()) > config_.max_roll_bytes) {
    throw CommandError("roll_too_large", "the roll is over max_roll_mb; nothing was kept of this part");
  }
  store_.put_part(e.id, upload, part, parts, csv, now);
  if (staged.count + (staged.has(part) ? 0 : 1) < parts) return std::nullopt;
  std::string all = store_.joined_parts(e.id, upload);
  store_.drop_parts(e.id, upload);
  return all;
}

std::string ElectionPlugin::pending_reply(const json& request, const Election& e) const {
  const std::string upload = request["upload"].get<std::string>();
  const auto staged = store_.staged_parts(e.id, upload);
  return json{{"election", e.id},
              {"imported", false},
              {"pending", true},
              {"upload", upload},
              {"parts", staged.parts},
              {"received_parts", staged.count},
              {"version", store_.current_roll(e.id).version},
              {"voters", store_.current_roll(e.id).voters},
              {"rejected_total", 0},
              {"rejected", json::array()}}
      .dump();
}

std::string ElectionPlugin::link_command(const json& request) {
  kazasu::fields::only(request, {"election", "voter_number", "reader"});
  const Election e = election_field(request);
  const std::string number = voter_field(request, e).voter_number;
  const std::string reader = kazasu::fields::string(request, "reader", false).value_or(config_.counter_reader);
  if (reader.empty()) {
    throw CommandError("no_reader", "name a \"reader\" or set counter_reader in the election plugin's config");
  }
  if (!valid_reader_name(reader)) throw CommandError("invalid_reader", "\"reader\" is not a reader name");
  const int64_t expires = host().now_unix_ms() + config_.link_timeout_ms;
  store_.arm(Arm{reader, e.id, number, expires});
  log(KAZASU_LOG_INFO, "reader armed for linking reader=" + reader + " election=" + e.id);
  return json{{"armed", true},
              {"election", e.id},
              {"voter_number", number},
              {"reader", reader},
              {"replaces_card", store_.has_link(e.id, number)},
              {"expires_at", station_rfc3339(expires, host().utc_offset_seconds())},
              {"timeout_s", config_.link_timeout_ms / 1000}}
      .dump();
}

}  // namespace kazasu::election
