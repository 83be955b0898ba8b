// Account commands: register (with the resident's consent), suspend, resume,
// close. An account is the shared record account:{token}, changed with
// versioned puts, so every facility sees one status; none opens while the
// city's engine is away.
#include <kazasu/command_fields.hpp>
#include <kazasu/reader_names.hpp>

#include "points_plugin.hpp"
#include "request_fields.hpp"

namespace kazasu::points {

using kazasu::CommandError;
using nlohmann::json;

PointsPlugin::Opened PointsPlugin::open_account(const std::string& token, const std::string& consent_method,
                                                int64_t consent_ms, int64_t now_ms) {
  const Lookup l = lookup(token);
  if (l.found == Found::away) return Opened::unavailable;
  if (l.found == Found::yes && l.account.status != "closed") return Opened::already;
  const json value{{"status", "active"},
                   {"consent_method", consent_method},
                   {"consent_at", at_text(consent_ms)},
                   {"registered_at", at_text(now_ms)},
                   {"registered_facility", config_.facility}};
  // Expected version: 0 for a new account; a closed one is reopened only from the version we read.
  const auto put = host().put(account_key(token), value.dump(), l.found == Found::yes ? l.account.version : 0);
  if (away(put.status)) return Opened::unavailable;
  if (put.status != KAZASU_SHARED_OK) return Opened::already;  // registered elsewhere meanwhile
  store_.remember(token, CachedAccount{"active", 0, 0, 0, now_ms});
  log(KAZASU_LOG_INFO, "account opened facility=" + config_.facility + " consent=" + consent_method);
  return l.found == Found::yes ? Opened::reopened : Opened::registered;
}

std::string PointsPlugin::register_command(const json& request) {
  kazasu::fields::only(request, {"token", "reader", "consent", "consent_method"});
  if (!request.contains("consent")) {
    throw CommandError("consent_required", "registration needs the resident's consent: \"consent\": true");
  }
  if (!request["consent"].is_boolean()) throw CommandError("invalid_field", "\"consent\" must be true or false");
  if (!request["consent"].get<bool>()) {
    throw CommandError("consent_required", "the resident did not consent: no account is opened");
  }
  const std::string method = kazasu::fields::string(request, "consent_method", false).value_or("counter");
  if (method != "counter" && method != "paper" && method != "app" && method != "kiosk") {
    throw CommandError("invalid_consent_method", "\"consent_method\" must be counter, paper, app or kiosk");
  }
  const int64_t now = host().now_unix_ms();
  if (request.contains("token")) {
    if (request.contains("reader")) throw CommandError("invalid_field", "give a \"token\" or a \"reader\", not both");
    const std::string token = token_field(request);
    const Opened opened = open_account(token, method, now, now);
    if (opened == Opened::unavailable) unavailable();
    if (opened == Opened::already) throw CommandError("already_registered", "this card already has a points account");
    return json{{"registered", true},       {"reopened", opened == Opened::reopened},
                {"token", token},           {"status", "active"},
                {"consent_method", method}, {"consent_at", at_text(now)}}
        .dump();
  }
  const std::string reader = kazasu::fields::string(request, "reader", false).value_or(config_.register_reader);
  if (reader.empty()) {
    throw CommandError("no_reader", "name a \"token\" or a \"reader\", or set register_reader in the points config");
  }
  if (!valid_reader_name(reader)) throw CommandError("invalid_reader", "\"reader\" is not a reader name");
  const int64_t expires = now + config_.register_timeout_ms;
  store_.arm(Arm{reader, method, now, expires});
  log(KAZASU_LOG_INFO, "reader armed for registration reader=" + reader);
  return json{{"armed", true},
              {"reader", reader},
              {"consent_method", method},
              {"expires_at", at_text(expires)},
              {"timeout_s", config_.register_timeout_ms / 1000}}
      .dump();
}

Account PointsPlugin::active_account(const std::string& token) const {
  const Lookup l = lookup(token);
  if (l.found == Found::away) unavailable();
  if (l.found == Found::no) throw CommandError("unknown_account", "this token has no points account");
  if (l.account.status == "suspended") throw CommandError("account_suspended", "the account is suspended");
  if (l.account.status == "closed") throw CommandError("account_closed", "the account is closed");
  return l.account;
}

std::string PointsPlugin::status_command(const json& request, const std::string& to) {
  kazasu::fields::only(request, {"token"});
  const std::string token = token_field(request);
  const Lookup l = lookup(token);
  if (l.found == Found::away) unavailable();
  if (l.found == Found::no) throw CommandError("unknown_account", "this token has no points account");
  if (l.account.status == "closed") throw CommandError("account_closed", "the account is closed");
  const bool unchanged = l.account.status == to;
  if (!unchanged) {
    json value = l.account.value;
    value["status"] = to;
    value[to == "active" ? "resumed_at" : "suspended_at"] = at_text(host().now_unix_ms());
    const auto put = host().put(account_key(token), value.dump(), l.account.version);
    if (away(put.status)) unavailable();
    if (put.status != KAZASU_SHARED_OK) {
      throw CommandError("conflict_retry", "the account changed at another station meanwhile; send the command again");
    }
    if (auto c = store_.cached(token)) {
      c->status = to;
      store_.remember(token, *c);
    }
    log(KAZASU_LOG_INFO, "account " + to + " facility=" + config_.facility);
  }
  return json{{"token", token}, {"status", to}, {"unchanged", unchanged}}.dump();
}

std::string PointsPlugin::close_command(const json& request) {
  kazasu::fields::only(request, {"token"});
  const std::string token = token_field(request);
  const Lookup l = lookup(token);
  if (l.found == Found::away) unavailable();
  if (l.found == Found::no) throw CommandError("unknown_account", "this token has no points account");
  if (l.account.status == "closed") {
    return json{{"token", token},
                {"status", "closed"},
                {"unchanged", true},
                {"balance_moved", l.account.value.value("balance_moved", int64_t{0})},
                {"to", l.account.value.value("balance_to", std::string(kForfeit))}}
        .dump();
  }
  const Stream s = ledger_.read(account_key(token), 1);
  if (!s.ok()) unavailable();
  const int64_t now = host().now_unix_ms();
  const std::string today = day_of(now);
  std::string to = kForfeit;
  if (config_.close_rule == "donate") {
    const Project& p = config_.projects.at(config_.close_project);
    if (today >= p.from && today <= p.to) to = project_key(p.project);  // a project that has ended takes nothing
  }
  if (s.sum > 0) {
    // One close per account version: a reopened account may close again.
    const std::string id = "close:" + token + ":" + std::to_string(l.account.version);
    ledger_.post(Movement{id, account_key(token), to, s.sum, json{{"kind", "close"}, {"rule", config_.close_rule}}});
    MovementRow row;
    row.id = id;
    row.kind = "close";
    row.token = token;
    row.facility = config_.facility;
    row.ref = to;
    row.amount = -s.sum;
    row.day = today;
    row.fy = fiscal_year(today, config_.fiscal_year_start_month);
    row.at_ms = now;
    store_.add_movement(row);
  }
  json value = l.account.value;
  value["status"] = "closed";
  value["closed_at"] = at_text(now);
  value["balance_moved"] = s.sum > 0 ? s.sum : 0;
  value["balance_to"] = to;
  // The put last: it is not part of the command's transaction.
  const auto put = host().put(account_key(token), value.dump(), l.account.version);
  if (away(put.status)) unavailable();
  if (put.status != KAZASU_SHARED_OK) {
    throw CommandError("conflict_retry", "the account changed at another station meanwhile; send the command again");
  }
  store_.forget(token);
  log(KAZASU_LOG_INFO, "account closed facility=" + config_.facility + " rule=" + config_.close_rule);
  return json{{"token", token},
              {"status", "closed"},
              {"unchanged", false},
              {"balance_moved", s.sum > 0 ? s.sum : 0},
              {"to", to}}
      .dump();
}

}  // namespace kazasu::points
