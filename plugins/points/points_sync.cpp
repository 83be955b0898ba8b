// The ledger's upkeep, on a timer: the ledger check at start, offline awards
// checked against the caps once they are on the engine (a correcting entry and
// a report for each that broke one), projects settled when their period ends,
// and the retained project progress.
#include <kazasu/station_time.hpp>
#include <map>

#include "caps.hpp"
#include "hints.hpp"
#include "points_plugin.hpp"

namespace kazasu::points {
namespace {

using nlohmann::json;

std::string tap_of(const std::string& movement_id) {
  // tap:{tap id}:visit or tap:{tap id}:event:{event}
  const size_t end = movement_id.find(':', 4);
  return movement_id.substr(4, end == std::string::npos ? std::string::npos : end - 4);
}

}  // namespace

void PointsPlugin::on_timer(uint64_t timer_id, int64_t now_unix_ms) {
  if (timer_id != kSyncTimer) return;
  sync(now_unix_ms);
  host().set_timer(kSyncTimer, now_unix_ms + config_.sync_interval_ms);
}

void PointsPlugin::sync(int64_t now_ms) {
  if (!start_checked_) {
    if (auto check = ledger_check()) {
      start_checked_ = true;
      publish("ledger_check", check->dump());
      if (!check->value("ok", false)) log(KAZASU_LOG_WARNING, "ledger check at start found differences");
    } else {
      return;  // the engine is away: everything else waits too
    }
  }
  if (!check_offline_awards()) return;
  settle_projects(now_ms);
  publish_projects(false);
}

bool PointsPlugin::check_offline_awards() {
  const auto rows = store_.unchecked_offline();
  std::map<std::string, Stream> streams;
  for (const auto& row : rows) {
    auto it = streams.find(row.token);
    if (it == streams.end()) {
      Stream s = ledger_.read(account_key(row.token), 1000);
      if (away(s.status)) return false;
      it = streams.emplace(row.token, std::move(s)).first;
    }
    const Stream& s = it->second;
    const std::string entry_id = row.id + ":cr";
    bool seen = false;
    bool pending = false;
    for (const auto& e : s.entries) {
      if (e.id != entry_id) continue;
      seen = true;
      pending = e.pending;
    }
    if (pending) continue;  // not on the engine yet: next time
    if (!seen) {
      // Not among the newest 1000 entries: too old to judge; counted as it was.
      log(KAZASU_LOG_WARNING, "offline award not found in the account's newest entries; left as awarded");
      store_.set_checked(row.id);
      continue;
    }
    const auto v = judge_offline(s.entries, entry_id);
    store_.set_checked(row.id);
    if (!v || v->allowed >= v->awarded) continue;
    const int64_t corrected = v->awarded - v->allowed;
    const std::string source = row.event.empty() ? facility_key(row.facility) : event_key(row.event);
    json body{{"kind", "correction"},     {"rule", v->rule}, {"ref", row.id},
              {"facility", row.facility}, {"day", row.day},  {"fy", row.fy}};
    if (!row.event.empty()) body["event"] = row.event;
    // The id derives from the award: a correction is made once, whoever replays.
    ledger_.post(Movement{row.id + ":fix", account_key(row.token), source, corrected, body});
    MovementRow fix;
    fix.id = row.id + ":fix";
    fix.kind = "correction";
    fix.token = row.token;
    fix.facility = row.facility;
    fix.event = row.event;
    fix.ref = row.id;
    fix.amount = -corrected;
    fix.day = row.day;
    fix.fy = row.fy;
    fix.at_ms = host().now_unix_ms();
    fix.request = v->rule;
    store_.add_movement(fix);
    const int64_t balance = s.sum - corrected;
    const Hint h = hint_for(v->rule == "event_once" ? "daily_limit" : v->rule);
    publish("cap_corrected",
            json{{"token", row.token},
                 {"facility", row.facility},
                 {"bonus_event", row.event.empty() ? json(nullptr) : json(row.event)},
                 {"rule", v->rule},
                 {"tap_id", tap_of(row.id)},
                 {"day", row.day},
                 {"awarded", v->awarded},
                 {"kept", v->allowed},
                 {"corrected", corrected},
                 {"balance", balance},
                 {"hint", "An award made while this facility was offline broke a limit (" + v->rule +
                              "): " + std::to_string(corrected) + " points were taken back. " + h.hint},
                 {"hint_ja", "オフライン中の付与が上限を超えていたため、" + std::to_string(corrected) +
                                 "ポイントを取り消しました。" + h.hint_ja}}
                .dump());
    log(KAZASU_LOG_NOTICE, "offline award corrected facility=" + row.facility + " rule=" + v->rule +
                               " corrected=" + std::to_string(corrected));
    it->second.sum = balance;
  }
  return true;
}

void PointsPlugin::settle_projects(int64_t now_ms) {
  const std::string today = day_of(now_ms);
  for (const auto& [id, p] : config_.projects) {
    if (today <= p.to || store_.settled(id)) continue;
    const Stream s = ledger_.read(project_key(id), 1000);
    if (!s.ok()) return;
    std::string outcome = "reached";
    int64_t refunds = 0;
    int64_t refunded = 0;
    if (s.sum < p.target) {
      outcome = config_.short_rule == "refund" ? "refunded" : "kept";
      if (outcome == "refunded") {
        for (const auto& e : s.entries) {
          // The project's side of each donation; refunds derive their ids from it, so
          // every station that settles the project posts the same entries, once.
          if (e.body.value("kind", std::string()) != "donate" || e.amount <= 0) continue;
          const std::string account = e.body.value("dr", std::string());
          if (account.rfind("account:", 0) != 0 || e.id.size() < 4) continue;
          const std::string donation = e.id.substr(0, e.id.size() - 3);  // without ":cr"
          ledger_.post(Movement{donation + ":refund", project_key(id), account, e.amount,
                                json{{"kind", "refund"}, {"project", id}, {"ref", donation}}});
          MovementRow row;
          row.id = donation + ":refund";
          row.kind = "refund";
          row.token = account.substr(8);
          row.facility = config_.facility;
          row.ref = id;
          row.amount = e.amount;
          row.day = today;
          row.fy = fiscal_year(today, config_.fiscal_year_start_month);
          row.at_ms = now_ms;
          store_.add_movement(row);
          ++refunds;
          refunded += e.amount;
        }
      }
    }
    store_.settle(id, outcome, now_ms);
    publish("project_closed", json{{"project", id},
                                   {"target", p.target},
                                   {"raised", s.sum},
                                   {"outcome", outcome},
                                   {"refunds", refunds},
                                   {"refunded", refunded}}
                                  .dump());
    std::string line = "project closed project=";
    line += id;
    line += " outcome=";
    line += outcome;
    log(KAZASU_LOG_INFO, line);
  }
}

void PointsPlugin::publish_projects(bool force) {
  if (config_.projects.empty()) return;
  const std::string today = day_of(host().now_unix_ms());
  json list = json::array();
  for (const auto& [id, p] : config_.projects) {
    const Stream s = ledger_.read(project_key(id), 1);
    if (!s.ok()) return;  // nothing new to tell while the engine is away
    std::string status = "open";
    if (today < p.from) status = "not_open";
    if (s.sum >= p.target) status = "reached";
    if (today > p.to && s.sum < p.target) status = "closed_short";
    const auto settled = store_.settled(id);
    list.push_back(json{{"project", id},
                        {"target", p.target},
                        {"raised", s.sum},
                        {"percent", p.target > 0 ? s.sum * 100 / p.target : 0},
                        {"from", p.from},
                        {"to", p.to},
                        {"status", status},
                        {"short_rule", config_.short_rule},
                        {"settled", settled ? json(*settled) : json(nullptr)}});
  }
  const std::string text = json{{"projects", list}}.dump();
  if (!force && store_.state("projects") == text) return;
  store_.set_state("projects", text);
  host().publish_retained("projects", text);
}

std::optional<json> PointsPlugin::ledger_check() {
  const Stream index = ledger_.read(kStreamsIndex, 1000);
  if (!index.ok()) return std::nullopt;
  int64_t accounts = 0;
  int64_t accounts_sum = 0;
  int64_t sources_sum = 0;
  int64_t negative = 0;
  int64_t pending = 0;
  for (const auto& e : index.entries) {
    // The newest 1000: enough to see a row listed twice while it is replayed (ledger.cpp).
    const Stream s = ledger_.read(e.id, 1000);
    if (!s.ok()) return std::nullopt;
    pending += s.pending;
    if (e.id.rfind("account:", 0) == 0) {
      ++accounts;
      accounts_sum += s.sum;
      if (s.sum < 0) ++negative;
    } else {
      sources_sum += s.sum;
    }
  }
  // This station's movements against the engine: each one's account side is there, with its amount.
  int64_t verified = 0;
  json missing = json::array();
  std::map<std::string, Stream> streams;
  for (const auto& row : store_.unverified(500)) {
    auto it = streams.find(row.token);
    if (it == streams.end()) {
      Stream s = ledger_.read(account_key(row.token), 1000);
      if (!s.ok()) return std::nullopt;
      it = streams.emplace(row.token, std::move(s)).first;
    }
    const std::string entry_id = row.id + (row.amount > 0 ? ":cr" : ":dr");
    bool found = false;
    for (const auto& e : it->second.entries) {
      if (e.id != entry_id || e.amount != row.amount) continue;
      found = true;
      if (!e.pending) {
        store_.set_verified(row.id);
        ++verified;
      }
    }
    if (!found && missing.size() < 20) missing.push_back(row.id);
  }
  const int64_t trial = accounts_sum + sources_sum;
  return json{{"ok", trial == 0 && missing.empty() && negative == 0},
              {"streams", index.count},
              {"accounts", accounts},
              {"accounts_sum", accounts_sum},
              {"sources_sum", sources_sum},
              {"trial_balance", trial},
              {"negative_accounts", negative},
              {"awards_here", store_.movements_here("visit") + store_.movements_here("bonus")},
              {"verified", verified},
              {"pending", pending},
              {"missing", missing}};
}

}  // namespace kazasu::points
