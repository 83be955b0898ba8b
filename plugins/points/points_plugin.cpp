// The tap path: register on an armed reader, answer the balance on a balance
// reader, else award the facility's visit (and any event bonus) within the
// daily limit and the yearly cap. Awards work while the city's engine is
// away, for accounts this station has seen; they are checked against the
// caps when they reach the engine (points_sync.cpp).
#include "points_plugin.hpp"

#include <kazasu/station_time.hpp>
#include <limits>
#include <stdexcept>

#include "caps.hpp"
#include "hints.hpp"

namespace kazasu::points {
namespace {

using nlohmann::json;

std::string chime_for(const std::string& event) {
  if (event == "award") return "award";
  if (event == "balance") return "balance";
  if (event == "registered") return "registered";
  return "refused";
}

}  // namespace

bool valid_token(std::string_view s) {
  if (s.size() != 64) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

PointsPlugin::PointsPlugin(kazasu::Host host)
    : Plugin(host), config_(parse_config(host.config_json())), store_(host.database()), ledger_(host, store_) {
  store_.migrate();
  // The first sync at once: the ledger check at start, then offline awards and projects.
  host.set_timer(kSyncTimer, host.now_unix_ms());
  log(KAZASU_LOG_INFO, "points plugin ready schema=" + std::to_string(store_.schema_version()) +
                           " facility=" + config_.facility + " rules=" + std::to_string(config_.rules.size()) +
                           " events=" + std::to_string(config_.events.size()));
}

std::optional<kazasu::SettingError> PointsPlugin::check_settings(const std::string& config_json) {
  try {
    parse_config(config_json);
    return std::nullopt;
  } catch (const std::invalid_argument& e) {
    return kazasu::SettingError::from_sentence(e.what());
  }
}

std::string PointsPlugin::day_of(int64_t unix_ms) const {
  return station_day(unix_ms, host().utc_offset_seconds());
}

std::string PointsPlugin::at_text(int64_t unix_ms) const {
  return station_rfc3339(unix_ms, host().utc_offset_seconds());
}

PointsPlugin::Lookup PointsPlugin::lookup(const std::string& token) const {
  const kazasu::SharedResult r = host().get(account_key(token));
  if (away(r.status)) return {Found::away, {}};
  if (r.status == KAZASU_SHARED_NOT_FOUND) return {Found::no, {}};
  if (r.status != KAZASU_SHARED_OK) throw std::runtime_error("shared_get refused an account key");
  Account a;
  a.value = json::parse(r.record.value, nullptr, false);
  if (!a.value.is_object()) a.value = json::object();
  a.status = a.value.value("status", std::string("active"));
  a.version = r.record.version;
  return {Found::yes, a};
}

void PointsPlugin::on_tap(const kazasu::Tap& tap) {
  const int64_t at = tap.detected_unix_ms > 0 ? tap.detected_unix_ms : host().now_unix_ms();
  if (auto arm = store_.active_arm(tap.reader, at)) {
    register_tap(tap, *arm, at);
    return;
  }
  const std::string reader(tap.reader);
  if (!tap.identified()) {
    unknown_tap(tap, hint_for(tap.status).reason, config_.facility_of(reader), day_of(at));
    return;
  }
  if (config_.balance_readers.contains(reader)) {
    balance_tap(tap, at);
    return;
  }
  award_tap(tap, at);
}

void PointsPlugin::unknown_tap(const kazasu::Tap& tap, const std::string& reason, const std::string& facility,
                               const std::string& day) {
  store_.count(day, facility, "unknown_card");
  const Hint h = hint_for(reason);
  // No identifier at all: an unregistered card is nobody's business here.
  publish("unknown_card", json{{"status", tap.status},
                               {"reason", h.reason},
                               {"facility", facility},
                               {"hint", h.hint},
                               {"hint_ja", h.hint_ja},
                               {"message", tap.message},
                               {"card_kind", tap.card_kind},
                               {"chime", "refused"}}
                              .dump());
}

void PointsPlugin::refuse_tap(const kazasu::Tap& tap, const std::string& reason, const std::string& facility,
                              const std::string& day, const json& extra) {
  store_.count(day, facility, reason);
  const Hint h = hint_for(reason);
  json fields{{"token", tap.token},   {"facility", facility},          {"reason", h.reason}, {"hint", h.hint},
              {"hint_ja", h.hint_ja}, {"chime", chime_for("refused")}, {"balance", nullptr}, {"offline", false}};
  fields.update(extra);
  publish("refused", fields.dump());
  log(KAZASU_LOG_INFO, "award refused facility=" + facility + " reason=" + reason);
}

void PointsPlugin::register_tap(const kazasu::Tap& tap, const Arm& arm, int64_t at) {
  const std::string facility = config_.facility_of(std::string(tap.reader));
  auto refuse = [&](const std::string& reason, const std::string& hint, const std::string& hint_ja, bool with_token) {
    json fields{{"reason", reason},   {"status", tap.status},   {"hint", hint},
                {"hint_ja", hint_ja}, {"message", tap.message}, {"chime", "refused"}};
    if (with_token) fields["token"] = tap.token;
    publish("register_refused", fields.dump());
  };
  if (!tap.identified()) {
    const Hint h = hint_for(tap.status);  // the arm stays for another try
    refuse(h.reason, h.hint, h.hint_ja, false);
    return;
  }
  store_.disarm(tap.reader);
  const std::string token(tap.token);
  const Opened opened = open_account(token, arm.consent_method, arm.consent_ms, at);
  switch (opened) {
    case Opened::registered:
    case Opened::reopened: {
      publish("registered", json{{"token", token},
                                 {"reopened", opened == Opened::reopened},
                                 {"facility", facility},
                                 {"consent_method", arm.consent_method},
                                 {"consent_at", at_text(arm.consent_ms)},
                                 {"card_kind", tap.card_kind},
                                 {"assurance", tap.assurance},
                                 {"chime", "registered"}}
                                .dump());
      return;
    }
    case Opened::already:
      refuse("already_registered", "This card already has a points account.",
             "このカードはすでにポイントに登録されています。", true);
      return;
    case Opened::unavailable:
      // Never open an account the city cannot see: it would fork.
      refuse("unavailable",
             "The city's points system cannot be reached: nothing was registered. Register again when it is back.",
             "市のポイントシステムに接続できないため、登録されていません。接続の回復後にもう一度登録してください。",
             false);
      return;
  }
}

json PointsPlugin::history(const std::string& token, const Stream& s, size_t limit) const {
  const std::string own = account_key(token);
  json out = json::array();
  for (const auto& e : s.entries) {
    if (out.size() >= limit) break;
    const std::string dr = e.body.value("dr", std::string());
    const std::string cr = e.body.value("cr", std::string());
    out.push_back(json{{"entry", e.id},
                       {"kind", e.body.value("kind", std::string())},
                       {"amount", e.amount},
                       {"ref", dr == own ? cr : dr},
                       {"at", at_text(e.at_ms)},
                       {"pending", e.pending}});
  }
  return out;
}

void PointsPlugin::balance_tap(const kazasu::Tap& tap, int64_t at) {
  const std::string token(tap.token);
  const std::string facility = config_.facility_of(std::string(tap.reader));
  const std::string day = day_of(at);
  const int fy = fiscal_year(day, config_.fiscal_year_start_month);
  const Lookup l = lookup(token);
  if (l.found == Found::no) {
    store_.forget(token);
    unknown_tap(tap, "not_registered", facility, day);
    return;
  }
  json fields{{"token", token},
              {"facility", facility},
              {"fiscal_year", fy},
              {"yearly_cap", config_.yearly_cap},
              {"chime", "balance"}};
  if (l.found == Found::yes) {
    const Stream s = ledger_.read(account_key(token), 1000);
    if (s.ok()) {
      const int64_t earned = earned_in(s.entries, fy);
      store_.remember(token, CachedAccount{l.account.status, s.sum, fy, earned, at});
      fields.update(json{{"status", l.account.status},
                         {"balance", s.sum},
                         {"fy_earned", earned},
                         {"history", history(token, s, static_cast<size_t>(config_.history_limit))},
                         {"offline", false}});
      publish("balance", fields.dump());
      return;
    }
  }
  const auto cached = store_.cached(token);
  if (!cached) {
    unknown_tap(tap, "unconfirmed_offline", facility, day);
    return;
  }
  fields.update(json{{"status", cached->status},
                     {"balance", cached->balance},
                     {"fy_earned", cached->fy == fy ? cached->fy_earned : 0},
                     {"history", json::array()},
                     {"offline", true},
                     {"as_of", at_text(cached->seen_ms)}});
  publish("balance", fields.dump());
}

void PointsPlugin::award_tap(const kazasu::Tap& tap, int64_t at) {
  const std::string token(tap.token);
  const std::string facility = config_.facility_of(std::string(tap.reader));
  const std::string day = day_of(at);
  const int fy = fiscal_year(day, config_.fiscal_year_start_month);
  const std::string visit_id = "tap:" + std::string(tap.id) + ":visit";

  const Lookup l = lookup(token);
  std::string status;
  std::optional<CachedAccount> cached = store_.cached(token);
  if (l.found == Found::no) {
    store_.forget(token);
    unknown_tap(tap, "not_registered", facility, day);
    return;
  }
  if (l.found == Found::yes) {
    status = l.account.status;
  } else if (cached) {
    status = cached->status;  // the engine is away: this station's last sight of the account
  } else {
    unknown_tap(tap, "unconfirmed_offline", facility, day);
    return;
  }
  if (status != "active") {
    refuse_tap(tap, status == "suspended" ? "account_suspended" : "account_closed", facility, day, json::object());
    return;
  }
  const auto rule = config_.rules.find(facility);
  if (rule == config_.rules.end()) {
    refuse_tap(tap, "no_rule", facility, day, json::object());
    return;
  }
  if (store_.movement(visit_id)) {
    // The same tap again (a replay): it never counts twice.
    log(KAZASU_LOG_NOTICE, "tap already awarded facility=" + facility);
    return;
  }

  Stream s;
  bool online = false;
  if (l.found == Found::yes) {
    s = ledger_.read(account_key(token), 1000);
    online = s.ok();
  }
  const int64_t visits = online ? visits_on(s.entries, facility, day) : store_.local_visits(token, facility, day);
  int64_t earned = 0;
  if (online) {
    earned = earned_in(s.entries, fy);
  } else {
    const bool same_year = cached && cached->fy == fy;
    earned = (same_year ? cached->fy_earned : 0) +
             store_.offline_earned_since(token, fy, same_year ? cached->seen_ms : std::numeric_limits<int64_t>::min());
  }
  const int64_t last_balance = online ? s.sum : (cached ? cached->balance : 0);
  json rule_json{{"facility", facility}, {"points", rule->second.points}, {"per_day", rule->second.per_day}};
  if (visits >= rule->second.per_day) {
    refuse_tap(tap, "daily_limit", facility, day,
               json{{"rule", rule_json},
                    {"visits_today", visits},
                    {"balance", online ? json(s.sum) : json(nullptr)},
                    {"offline", !online}});
    return;
  }
  const int64_t cap = config_.yearly_cap;
  int64_t room = cap > 0 ? cap - earned : std::numeric_limits<int64_t>::max();
  if (room <= 0) {
    refuse_tap(tap, "yearly_cap", facility, day,
               json{{"rule", rule_json},
                    {"fy_earned", earned},
                    {"yearly_cap", cap},
                    {"balance", online ? json(s.sum) : json(nullptr)},
                    {"offline", !online}});
    return;
  }

  json body{{"facility", facility}, {"day", day}, {"fy", fy}, {"cap", cap}};
  if (!online) body["offline"] = true;
  auto post = [&](const std::string& id, const std::string& kind, const std::string& source, const std::string& event,
                  int64_t points, int64_t per_day) {
    json b = body;
    b["kind"] = kind;
    if (!event.empty()) b["event"] = event;
    if (per_day > 0) b["per_day"] = per_day;
    ledger_.post(Movement{id, source, account_key(token), points, b});
    MovementRow row;
    row.id = id;
    row.kind = kind;
    row.token = token;
    row.facility = facility;
    row.event = event;
    row.amount = points;
    row.day = day;
    row.fy = fy;
    row.at_ms = at;
    row.offline = !online;
    row.checked = online;
    store_.add_movement(row);
  };

  const int64_t visit_points = std::min(rule->second.points, room);
  room -= visit_points;
  post(visit_id, "visit", facility_key(facility), "", visit_points, rule->second.per_day);
  json parts = json::array({json{{"rule", "visit"}, {"facility", facility}, {"points", visit_points}}});
  int64_t total = visit_points;
  bool capped = visit_points < rule->second.points;
  for (const auto& e : config_.events) {
    if (e.facility != facility) continue;
    const auto from = station_time_ms(e.from, host().utc_offset_seconds());
    const auto to = station_time_ms(e.to, host().utc_offset_seconds());
    if (!from || !to || at < *from || at >= *to) continue;
    const int64_t had = online ? bonuses_of(s.entries, e.event) : store_.local_bonuses(token, e.event);
    if (had > 0) continue;
    if (room <= 0) {
      capped = true;
      break;
    }
    const int64_t points = std::min(e.points, room);
    capped = capped || points < e.points;
    room -= points;
    total += points;
    post("tap:" + std::string(tap.id) + ":event:" + e.event, "bonus", event_key(e.event), e.event, points, 0);
    parts.push_back(json{{"rule", "event"}, {"event", e.event}, {"points", points}});
  }
  int64_t balance = last_balance + total;
  if (online) {
    store_.remember(token, CachedAccount{status, balance, fy, earned + total, at});
  } else if (cached) {
    // The cache stays the last sight on the engine; what was earned here since is added to it.
    balance = cached->balance + store_.offline_earned_since(token, fy, cached->seen_ms);
  }
  publish("award", json{{"token", token},
                        {"facility", facility},
                        {"awarded", total},
                        {"parts", parts},
                        {"rule", rule_json},
                        {"capped", capped},
                        {"balance", balance},
                        {"balance_provisional", !online},
                        {"fiscal_year", fy},
                        {"fy_earned", earned + total},
                        {"yearly_cap", cap},
                        {"offline", !online},
                        {"hint", std::to_string(total) + " points awarded; balance " + std::to_string(balance) + "."},
                        {"hint_ja", std::to_string(total) + "ポイントを付与しました。残高 " + std::to_string(balance) +
                                        " ポイント。"},
                        {"chime", chime_for("award")}}
                       .dump());
}

}  // namespace kazasu::points

KAZASU_PLUGIN(kazasu::points::PointsPlugin, "points", "0.1.0",
              "Civic points: residents' cards earn points at every facility of the city, for prizes and donations.")
