// Counts, hourly reconciliation, closing and purging. A station's own counts
// come from its file; the election's come from the tallies every station
// appends to the shared engine with each reception (tally:{election}:...),
// so the election office sees the city without asking each station.
#include <cmath>
#include <kazasu/command_fields.hpp>
#include <kazasu/station_time.hpp>

#include "election_plugin.hpp"

namespace kazasu::election {
namespace {

using kazasu::CommandError;
using nlohmann::json;

// Turnout in percent, two decimals, as election offices report it.
double percent(int64_t part, int64_t whole) {
  if (whole <= 0) return 0.0;
  return std::round(static_cast<double>(part) * 10000.0 / static_cast<double>(whole)) / 100.0;
}

int64_t int_field(const json& request, const char* name, int64_t lo, int64_t hi) {
  if (!request.contains(name)) {
    throw CommandError("missing_field", std::string("the command needs a \"") + name + "\" number");
  }
  const json& v = request[name];
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
    throw CommandError("invalid_field", std::string("\"") + name + "\" must be a whole number from " +
                                            std::to_string(lo) + " to " + std::to_string(hi));
  }
  return v.get<int64_t>();
}

const char* day_kind_name(const Election& e, const std::string& day) {
  if (day == e.election_day) return "election_day";
  if (day >= e.early_start && day <= e.early_end) return "early";
  return "none";
}

}  // namespace

json ElectionPlugin::station_counts(const Election& e, const std::string& day) const {
  const auto c = store_.reception_counts(e.id, day, host().utc_offset_seconds());
  const auto other = store_.counts(e.id, day);
  auto n = [&](const char* key) {
    const auto it = other.find(key);
    return it != other.end() ? it->second : int64_t{0};
  };
  json by_hour = json::object();
  for (const auto& [h, k] : c.by_hour) by_hour[h] = k;
  json by_hour_sex = json::object();
  for (const auto& [h, mf] : c.by_hour_sex) by_hour_sex[h] = json{{"male", mf.first}, {"female", mf.second}};
  json by_district = json::object();
  for (const auto& [d, k] : c.by_district) by_district[d] = k;
  const int64_t assigned = store_.electorate(e.id, config_.polling_station);
  return json{{"election", e.id},
              {"day", day},
              {"station", config_.polling_station},
              {"day_kind", day_kind_name(e, day)},
              {"receptions", c.total},
              {"male", c.male},
              {"female", c.female},
              {"early", c.early},
              {"election_day", c.election_day},
              {"absentee", c.absentee},
              {"by_hour", by_hour},
              {"by_hour_sex", by_hour_sex},
              {"by_district", by_district},
              {"electorate_assigned", assigned},
              {"turnout_assigned", day == e.election_day ? json(percent(c.election_day, assigned)) : json(nullptr)},
              {"matches", n("matches")},
              {"already_received", n("already_received")},
              {"unavailable", n("unavailable")},
              {"refused", n("refused")},
              {"unknown_cards", n("unknown_cards")},
              {"links", n("links")},
              {"link_refused", n("link_refused")},
              {"paper_conflicts", n("paper_conflicts")},
              {"roll_version", store_.current_roll(e.id).version}};
}

json ElectionPlugin::city_counts(const Election& e, const std::string& day) const {
  const std::string t = "tally:" + e.id + ":";
  auto sum = [&](const std::string& key) {
    const kazasu::SharedEntries r = host().entries(key, 0);
    if (r.status != KAZASU_SHARED_OK) {
      throw CommandError("shared_unavailable",
                         "the city's reception database did not answer: ask with \"scope\": \"station\" for this "
                         "station's own counts");
    }
    return r.sum;
  };
  const int64_t total = sum(t + "all");
  const int64_t electorate = store_.electorate(e.id);
  json by_kind = json::object();
  for (const char* kind : {"early", "election_day", "absentee"}) {
    const int64_t m = sum(t + "kind:" + kind + ":sex:1");
    const int64_t f = sum(t + "kind:" + kind + ":sex:2");
    by_kind[kind] = json{{"male", m}, {"female", f}, {"total", m + f}};
  }
  json by_district = json::object();
  for (const auto& [d, size] : store_.districts(e.id)) {
    const int64_t voted = sum(t + "district:" + d);
    by_district[d] = json{{"voters", voted}, {"electorate", size}, {"turnout", percent(voted, size)}};
  }
  json by_station = json::object();
  json early_day = json::object();
  const bool early = day >= e.early_start && day <= e.early_end;
  for (const auto& s : e.stations) {
    by_station[s.id] = sum(t + "station:" + s.id);
    if (early && s.early_voting) {
      const std::string k = t + "early:" + day + ":" + s.id + ":sex:";
      const int64_t m = sum(k + "1");
      const int64_t f = sum(k + "2");
      early_day[s.id] = json{{"male", m}, {"female", f}, {"total", m + f}};
    }
  }
  return json{{"election", e.id},
              {"scope", "election"},
              {"day", day},
              {"voters", total},
              {"male", sum(t + "sex:1")},
              {"female", sum(t + "sex:2")},
              {"electorate", electorate},
              {"turnout", percent(total, electorate)},
              {"by_kind", by_kind},
              {"by_district", by_district},
              {"by_station", by_station},
              {"early_day", early ? early_day : json(nullptr)},
              {"roll_version", store_.current_roll(e.id).version}};
}

std::string ElectionPlugin::counts_command(const json& request) {
  kazasu::fields::only(request, {"election", "day", "scope"});
  const Election e = election_field(request, false);
  const std::string day = kazasu::fields::string(request, "day", false).value_or(today());
  if (!valid_day(day)) throw CommandError("invalid_day", "\"day\" must be a date written YYYY-MM-DD");
  const std::string scope = kazasu::fields::string(request, "scope", false).value_or("station");
  if (scope == "election") return city_counts(e, day).dump();
  if (scope != "station") throw CommandError("invalid_field", "\"scope\" must be station or election");
  json out = station_counts(e, day);
  out["scope"] = "station";
  return out.dump();
}

std::string ElectionPlugin::ballots_command(const json& request) {
  kazasu::fields::only(request, {"election", "day", "hour", "issued"});
  const Election e = election_field(request, false);
  const std::string day = kazasu::fields::string(request, "day", false).value_or(today());
  if (!valid_day(day)) throw CommandError("invalid_day", "\"day\" must be a date written YYYY-MM-DD");
  const int64_t hour = int_field(request, "hour", 1, 24);
  const int64_t issued = int_field(request, "issued", 0, 10'000'000);
  const int64_t receptions = store_.receptions_before(e.id, day, static_cast<int>(hour), host().utc_offset_seconds());
  char hh[8];
  std::snprintf(hh, sizeof hh, "%02d", static_cast<int>(hour));
  store_.put_reconciliation(e.id, Reconciliation{day, hh, issued, receptions}, host().now_unix_ms());
  const int64_t difference = issued - receptions;
  json out{{"election", e.id},
           {"day", day},
           {"polling_station", config_.polling_station},
           {"until", std::string(hh) + ":00"},
           {"issued", issued},
           {"receptions", receptions},
           {"difference", difference},
           {"flagged", difference != 0}};
  if (difference != 0) {
    out["hint"] = "Ballots issued and receptions differ by " + std::to_string(difference) +
                  ": recount the ballots and check the paper receptions before the next hour.";
    out["hint_ja"] = "交付した投票用紙の数と受付数が " + std::to_string(difference) +
                     " 件一致しません。投票用紙を数え直し、紙の受付を確認してください。";
    log(KAZASU_LOG_WARNING,
        "reconciliation differs election=" + e.id + " until=" + hh + " difference=" + std::to_string(difference));
  }
  publish("reconciliation", out.dump());
  return out.dump();
}

std::string ElectionPlugin::close_command(const json& request) {
  kazasu::fields::only(request, {"election"});
  Election e = election_field(request, false);
  if (e.purged_ms != 0) throw CommandError("purged", "election \"" + e.id + "\" was purged: nothing is left to export");
  const bool already = e.closed_ms != 0;
  if (!already) {
    e.closed_ms = host().now_unix_ms();
    store_.close(e.id, e.closed_ms);
    log(KAZASU_LOG_INFO, "election closed election=" + e.id);
  }
  const int32_t offset = host().utc_offset_seconds();
  const std::string csv = store_.receptions_csv(e.id, offset);
  const int64_t rows = static_cast<int64_t>(std::count(csv.begin(), csv.end(), '\n')) - 1;
  publish_counts(today());
  return json{{"election", e.id},
              {"closed", true},
              {"already_closed", already},
              {"closed_at", station_rfc3339(e.closed_ms, offset)},
              {"station", config_.polling_station},
              {"receptions", rows},
              {"csv", csv}}
      .dump();
}

std::string ElectionPlugin::purge_command(const json& request) {
  kazasu::fields::only(request, {"election", "release_shared"});
  const Election e = election_field(request, false);
  bool release_shared = false;
  if (request.contains("release_shared")) {
    if (!request["release_shared"].is_boolean())
      throw CommandError("invalid_field", "\"release_shared\" must be true or false");
    release_shared = request["release_shared"].get<bool>();
  }
  if (e.closed_ms == 0) throw CommandError("not_closed", "close election \"" + e.id + "\" before purging it");
  const int32_t offset = host().utc_offset_seconds();
  const int64_t until = e.closed_ms + config_.retention_days * kMsPerDay;
  if (host().now_unix_ms() < until) {
    throw CommandError("retention_running", "the receptions of \"" + e.id + "\" are kept until " +
                                                station_rfc3339(until, offset) + " (retention_days)");
  }
  int64_t released = 0;
  if (release_shared) {
    // Only this station's own claims, and only when they are still ours.
    for (const auto& number : store_.received_here(e.id)) {
      const std::string key = claim_key(e.id, number);
      const kazasu::SharedResult r = host().get(key);
      if (r.status == KAZASU_SHARED_NOT_FOUND) continue;
      if (r.status != KAZASU_SHARED_OK) {
        throw CommandError("shared_unavailable",
                           "the city's reception database did not answer: nothing was purged; try again");
      }
      if (holder_of(r.record).station != config_.polling_station) continue;
      const kazasu::SharedResult gone = host().put(key, std::nullopt, r.record.version);
      if (gone.status == KAZASU_SHARED_OK) ++released;
    }
  }
  const auto [voters, receptions] = store_.purge(e.id, host().now_unix_ms());
  log(KAZASU_LOG_INFO, "election purged election=" + e.id + " voters=" + std::to_string(voters) +
                           " receptions=" + std::to_string(receptions));
  return json{{"election", e.id},
              {"purged", true},
              {"voters_deleted", voters},
              {"receptions_deleted", receptions},
              {"shared_released", released}}
      .dump();
}

}  // namespace kazasu::election
