// Commands from the counter's PC and the city's resident-app backend (the
// account commands are in points_accounts.cpp): balance, history, redeem,
// donate, report, check. Every refusal carries a code and a sentence; every
// command that moves points takes a caller's `request_id`, its idempotency
// key, so a command sent again (the reply was lost) never counts twice.
#include <kazasu/command_fields.hpp>
#include <kazasu/station_time.hpp>

#include "caps.hpp"
#include "points_plugin.hpp"
#include "report_csv.hpp"
#include "request_fields.hpp"

namespace kazasu::points {

using kazasu::CommandError;
using nlohmann::json;

std::string PointsPlugin::on_command(const kazasu::Command& command) {
  const json request = json::parse(command.payload_json, nullptr, false);
  if (request.is_discarded()) throw CommandError("malformed_json", "the command is not valid JSON");
  if (!request.is_object()) throw CommandError("not_an_object", "the command must be a JSON object");
  if (command.name == "register") return register_command(request);
  if (command.name == "suspend") return status_command(request, "suspended");
  if (command.name == "resume") return status_command(request, "active");
  if (command.name == "close") return close_command(request);
  if (command.name == "balance") return balance_command(request, false);
  if (command.name == "history") return balance_command(request, true);
  if (command.name == "redeem") return redeem_command(request);
  if (command.name == "donate") return donate_command(request);
  if (command.name == "report") return report_command(request);
  if (command.name == "check") {
    kazasu::fields::only(request, {});
    auto r = ledger_check();
    if (!r) unavailable();
    return r->dump();
  }
  return Plugin::on_command(command);
}

std::string PointsPlugin::balance_command(const json& request, bool with_history) {
  if (with_history) {
    kazasu::fields::only(request, {"token", "limit"});
  } else {
    kazasu::fields::only(request, {"token"});
  }
  const std::string token = token_field(request);
  size_t limit = static_cast<size_t>(config_.history_limit);
  if (with_history && request.contains("limit")) {
    const json& v = request["limit"];
    if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 1000) {
      throw CommandError("invalid_field", "\"limit\" must be 1 to 1000");
    }
    limit = static_cast<size_t>(v.get<int64_t>());
  }
  const Lookup l = lookup(token);
  if (l.found == Found::away) unavailable();
  if (l.found == Found::no) throw CommandError("unknown_account", "this token has no points account");
  const Stream s = ledger_.read(account_key(token), 1000);
  if (!s.ok()) unavailable();
  const int64_t now = host().now_unix_ms();
  const int fy = fiscal_year(day_of(now), config_.fiscal_year_start_month);
  json out{{"token", token},
           {"status", l.account.status},
           {"balance", s.sum},
           {"entries", s.count},
           {"fiscal_year", fy},
           {"fy_earned", earned_in(s.entries, fy)},
           {"yearly_cap", config_.yearly_cap},
           {"history", history(token, s, limit)}};
  return out.dump();
}

std::string PointsPlugin::redeem_command(const json& request) {
  kazasu::fields::only(request, {"token", "prize", "request_id"});
  const std::string token = token_field(request);
  const std::string prize_id = id_field(request, "prize", "invalid_prize");
  const std::string rid = request_id_field(request);
  const std::string id = request_movement(token, rid, "redeem");
  const std::string canonical = json{{"token", token}, {"prize", prize_id}}.dump();
  if (auto again = repeated(store_.movement(id), canonical)) return *again;
  const auto prize = config_.prizes.find(prize_id);
  if (prize == config_.prizes.end()) throw CommandError("unknown_prize", "no prize \"" + prize_id + "\" here");
  active_account(token);
  const Stream s = ledger_.read(account_key(token), 1000);
  if (!s.ok()) unavailable();
  for (const auto& e : s.entries) {
    if (e.id != id + ":dr") continue;  // redeemed at another station with this request id
    if (e.body.value("prize", std::string()) != prize_id) {
      throw CommandError("request_id_reused", "this request_id was used for another request; use a new one");
    }
    return json{{"token", token},     {"prize", prize_id}, {"kind", prize->second.kind},
                {"spent", -e.amount}, {"balance", s.sum},  {"stock_left", nullptr},
                {"repeated", true}}
        .dump();
  }
  const int64_t cost = prize->second.cost;
  if (s.sum < cost) {
    throw CommandError("insufficient_points",
                       "the balance (" + std::to_string(s.sum) + ") is below the cost (" + std::to_string(cost) + ")");
  }
  // Stock first read, written last: a put is not part of the transaction.
  std::optional<int64_t> left;
  int64_t stock_version = 0;
  const std::string stock_key = prize_key(prize_id) + ":stock";
  if (prize->second.stock) {
    const auto r = host().get(stock_key);
    if (away(r.status)) unavailable();
    int64_t remaining = *prize->second.stock;
    if (r.status == KAZASU_SHARED_OK) {
      const json v = json::parse(r.record.value, nullptr, false);
      remaining = v.is_object() ? v.value("remaining", int64_t{0}) : 0;
      stock_version = r.record.version;
    }
    if (remaining <= 0) throw CommandError("out_of_stock", "prize \"" + prize_id + "\" is out of stock");
    left = remaining - 1;
  }
  const int64_t now = host().now_unix_ms();
  const std::string today = day_of(now);
  const int fy = fiscal_year(today, config_.fiscal_year_start_month);
  ledger_.post(Movement{id, account_key(token), prize_key(prize_id), cost,
                        json{{"kind", "redeem"}, {"prize", prize_id}, {"request_id", rid}}});
  const json result{{"token", token},   {"prize", prize_id},       {"kind", prize->second.kind},
                    {"spent", cost},    {"balance", s.sum - cost}, {"stock_left", left ? json(*left) : json(nullptr)},
                    {"repeated", false}};
  MovementRow row;
  row.id = id;
  row.kind = "redeem";
  row.token = token;
  row.facility = config_.facility;
  row.ref = prize_id;
  row.amount = -cost;
  row.day = today;
  row.fy = fy;
  row.at_ms = now;
  row.request = canonical;
  row.result = result.dump();
  store_.add_movement(row);
  if (left) {
    const auto put = host().put(stock_key, json{{"remaining", *left}}.dump(), stock_version);
    if (away(put.status)) unavailable();
    if (put.status != KAZASU_SHARED_OK) {
      throw CommandError("conflict_retry", "another station took the same prize at the same moment; send again");
    }
  }
  log(KAZASU_LOG_INFO, "redeemed prize=" + prize_id + " cost=" + std::to_string(cost));
  return result.dump();
}

std::string PointsPlugin::donate_command(const json& request) {
  kazasu::fields::only(request, {"token", "project", "points", "request_id"});
  const std::string token = token_field(request);
  const std::string project_id = id_field(request, "project", "invalid_project");
  const int64_t points = points_field(request, "points");
  const std::string rid = request_id_field(request);
  const std::string id = request_movement(token, rid, "donate");
  const std::string canonical = json{{"token", token}, {"project", project_id}, {"points", points}}.dump();
  if (auto again = repeated(store_.movement(id), canonical)) return *again;
  const auto project = config_.projects.find(project_id);
  if (project == config_.projects.end()) throw CommandError("unknown_project", "no project \"" + project_id + "\"");
  const Project& p = project->second;
  const int64_t now = host().now_unix_ms();
  const std::string today = day_of(now);
  if (today < p.from) throw CommandError("project_not_open", "the project takes donations from " + p.from);
  if (today > p.to) throw CommandError("project_closed", "the project took donations until " + p.to);
  active_account(token);
  const Stream s = ledger_.read(account_key(token), 1000);
  if (!s.ok()) unavailable();
  for (const auto& e : s.entries) {
    if (e.id != id + ":dr") continue;
    if (e.body.value("project", std::string()) != project_id) {
      throw CommandError("request_id_reused", "this request_id was used for another request; use a new one");
    }
    return json{{"token", token},       {"project", project_id}, {"requested", points},
                {"donated", -e.amount}, {"raised", nullptr},     {"target", p.target},
                {"reached", false},     {"balance", s.sum},      {"repeated", true}}
        .dump();
  }
  // The guard record: its version serialises donations across stations.
  const std::string guard = project_key(project_id) + ":raised";
  const auto g = host().get(guard);
  if (away(g.status)) unavailable();
  const Stream raised_stream = ledger_.read(project_key(project_id), 1);
  if (!raised_stream.ok()) unavailable();
  const int64_t raised = raised_stream.sum;
  if (raised >= p.target) {
    throw CommandError("target_reached", "the project has reached its target (" + std::to_string(p.target) + ")");
  }
  // Past the target: only what is still needed is taken; the resident keeps the rest.
  const int64_t donated = std::min(points, p.target - raised);
  if (s.sum < donated) {
    throw CommandError("insufficient_points", "the balance (" + std::to_string(s.sum) + ") is below the donation (" +
                                                  std::to_string(donated) + ")");
  }
  ledger_.post(Movement{id, account_key(token), project_key(project_id), donated,
                        json{{"kind", "donate"}, {"project", project_id}, {"request_id", rid}}});
  const json result{{"token", token},
                    {"project", project_id},
                    {"requested", points},
                    {"donated", donated},
                    {"raised", raised + donated},
                    {"target", p.target},
                    {"reached", raised + donated >= p.target},
                    {"balance", s.sum - donated},
                    {"repeated", false}};
  MovementRow row;
  row.id = id;
  row.kind = "donate";
  row.token = token;
  row.facility = config_.facility;
  row.ref = project_id;
  row.amount = -donated;
  row.day = today;
  row.fy = fiscal_year(today, config_.fiscal_year_start_month);
  row.at_ms = now;
  row.request = canonical;
  row.result = result.dump();
  store_.add_movement(row);
  publish_projects(true);
  const auto put =
      host().put(guard, json{{"raised", raised + donated}}.dump(), g.status == KAZASU_SHARED_OK ? g.record.version : 0);
  if (away(put.status)) unavailable();
  if (put.status != KAZASU_SHARED_OK) {
    throw CommandError("conflict_retry", "another donation to this project came in at the same moment; send again");
  }
  log(KAZASU_LOG_INFO, "donated project=" + project_id + " points=" + std::to_string(donated));
  return result.dump();
}

std::string PointsPlugin::report_command(const json& request) {
  kazasu::fields::only(request, {"month"});
  const std::string month = *kazasu::fields::string(request, "month", true);
  if (month.size() != 7 || !valid_day(month + "-01")) {
    throw CommandError("invalid_month", "\"month\" must be a month written YYYY-MM");
  }
  const auto lines = store_.report(month);
  json participants = json::object();
  for (const auto& [facility, n] : store_.participants(month)) participants[facility] = n;
  json refusals = json::object();
  for (const auto& [what, n] : store_.refusals(month)) refusals[what] = n;
  int64_t visits = 0;
  int64_t points = 0;
  for (const auto& l : lines) {
    if (l.kind == "visit") visits += l.entries;
    points += l.points;
  }
  return json{{"month", month},
              {"facility", config_.facility},
              {"csv", report_csv(lines)},
              {"lines", lines.size()},
              {"visits", visits},
              {"points", points},
              {"participants", participants},
              {"refusals", refusals}}
      .dump();
}

}  // namespace kazasu::points
