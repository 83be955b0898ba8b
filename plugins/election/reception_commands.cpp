// Commands that receive a voter: staff's confirmation of a tap's match (or of
// a voter without a card, from the roll), an absentee ballot sent by post,
// and the paper receptions of a time the shared engine was away. Each ends in
// the one claim per voter and election; a refusal is an `ok` reply with
// `received: false` and the same outcome a tap would publish, so the desk's
// button shows it and the counts see it.
#include <kazasu/command_fields.hpp>
#include <kazasu/station_time.hpp>

#include "election_plugin.hpp"

namespace kazasu::election {
namespace {

using kazasu::CommandError;
using nlohmann::json;

constexpr size_t kMaxPaperEntries = 500;
constexpr int64_t kFutureSlackMs = 5 * 60 * 1000;

bool flag_field(const json& request, const char* name) {
  if (!request.contains(name)) return false;
  if (!request[name].is_boolean()) {
    throw CommandError("invalid_field", std::string("\"") + name + "\" must be true or false");
  }
  return request[name].get<bool>();
}

}  // namespace

std::string ElectionPlugin::confirm_command(const json& request, const kazasu::Command& command) {
  kazasu::fields::only(request, {"election", "voter_number", "without_card"});
  const Election e = election_field(request);
  const Voter v = voter_field(request, e);
  const bool without_card = flag_field(request, "without_card");
  const int64_t now = host().now_unix_ms();
  const std::string day = station_day(now, host().utc_offset_seconds());
  std::string method = "roll";
  if (!without_card) {
    const auto m = store_.match(e.id, v.voter_number, now);
    if (!m) {
      throw CommandError("no_match",
                         "no tap of voter " + v.voter_number +
                             "'s card is waiting for confirmation here: tap the card again, or confirm with "
                             "\"without_card\": true for a voter received from the roll");
    }
    method = m->method;
  }
  const DayKind kind = day_kind(e, config_.polling_station, day);
  if (const auto r = refusal(e, kind, v)) return refuse(e, v.voter_number, day, *r).dump();
  return receive(e, v, Reception{day, now, kind_name(kind), method}, std::string(command.id)).dump();
}

std::string ElectionPlugin::absentee_command(const json& request, const kazasu::Command& command) {
  kazasu::fields::only(request, {"election", "voter_number"});
  const Election e = election_field(request);
  const Voter v = voter_field(request, e);
  const int64_t now = host().now_unix_ms();
  const std::string day = station_day(now, host().utc_offset_seconds());
  // Ballots go out by post before and during the period, from the election
  // office: neither the period nor the assigned station applies, eligibility does.
  if (const auto r = refusal(e, DayKind::early, v)) return refuse(e, v.voter_number, day, *r).dump();
  return receive(e, v, Reception{day, now, "absentee", "absentee"}, std::string(command.id)).dump();
}

std::string ElectionPlugin::paper_command(const json& request, const kazasu::Command& command) {
  kazasu::fields::only(request, {"election", "receptions"});
  const Election e = election_field(request);
  if (!request.contains("receptions")) {
    throw CommandError("missing_field", "the command needs a \"receptions\" array");
  }
  const json& list = request["receptions"];
  if (!list.is_array() || list.empty() || list.size() > kMaxPaperEntries) {
    throw CommandError("invalid_field", "\"receptions\" must be an array of 1 to 500 receptions");
  }
  const int32_t offset = host().utc_offset_seconds();
  const int64_t now = host().now_unix_ms();
  json results = json::array();
  int64_t entered = 0, unchanged = 0, conflicts = 0, rejected = 0;
  size_t index = 0;
  for (const auto& item : list) {
    ++index;
    if (!item.is_object()) throw CommandError("invalid_field", "each reception must be an object");
    kazasu::fields::only(item, {"voter_number", "at"});
    const std::string number = *kazasu::fields::string(item, "voter_number", true);
    const std::string at_text = *kazasu::fields::string(item, "at", true);
    json result{{"index", index}, {"voter_number", number}};
    auto reject = [&](const std::string& why) {
      ++rejected;
      result["result"] = why;
      results.push_back(result);
    };
    const auto at = station_time_ms(at_text, offset);
    if (!valid_voter_number(number)) {
      reject("invalid_voter_number");
      continue;
    }
    if (!at || *at > now + kFutureSlackMs) {
      reject("invalid_time");
      continue;
    }
    const std::string day = station_day(*at, offset);
    const DayKind kind = day_kind(e, config_.polling_station, day);
    const auto v = store_.voter(e.id, number);
    if (const auto r = refusal(e, kind, v)) {
      reject(r->reason);
      continue;
    }
    const Reception rec{day, *at, kind_name(kind), "paper"};
    const json value{{"station", config_.polling_station},
                     {"at_unix_ms", rec.at_ms},
                     {"at", station_rfc3339(rec.at_ms, offset)},
                     {"kind", rec.kind},
                     {"method", rec.method}};
    std::optional<Holder> held;
    if (const auto local = store_.reception(e.id, number)) {
      held = Holder{config_.polling_station, local->at_ms, local->kind, local->method};
    } else {
      const kazasu::SharedResult claimed = host().claim(claim_key(e.id, number), value.dump());
      if (claimed.status == KAZASU_SHARED_UNAVAILABLE) {
        // All or nothing: the claims made so far are released with the rollback.
        throw CommandError("shared_unavailable",
                           "the city's reception database did not answer: nothing of this command was entered; "
                           "send it again when it is back");
      }
      if (claimed.status == KAZASU_SHARED_EXISTS) held = holder_of(claimed.record);
      if (claimed.status != KAZASU_SHARED_OK && claimed.status != KAZASU_SHARED_EXISTS) {
        throw std::runtime_error("shared claim refused status=" + std::to_string(static_cast<int>(claimed.status)));
      }
    }
    if (!held) {
      record(e, *v, rec, std::string(command.id));
      ++entered;
      result["result"] = "entered";
      results.push_back(result);
      continue;
    }
    if (held->station == config_.polling_station && held->at_ms == rec.at_ms && held->method == "paper") {
      ++unchanged;  // the same paper reception sent again
      result["result"] = "unchanged";
      results.push_back(result);
      continue;
    }
    // Two receptions of one voter: the paper and the record disagree. Never
    // merged: the chief of the polling station and the election office decide.
    ++conflicts;
    store_.count(e.id, day, "paper_conflicts");
    const json conflict{
        {"election", e.id},
        {"voter_number", number},
        {"district", v->district},
        {"paper_at", station_rfc3339(rec.at_ms, offset)},
        {"received_at_station", held->station},
        {"received_at", station_rfc3339(held->at_ms, offset)},
        {"received_kind", held->kind},
        {"hint",
         "A paper reception of this voter conflicts with a reception already recorded: report it "
         "to the election office; nothing was changed."},
        {"hint_ja",
         "紙の受付が記録済みの受付と重複しています。選挙管理委員会に報告してください。記録は変更されていません。"}};
    publish("paper_conflict", conflict.dump());
    log(KAZASU_LOG_WARNING, "paper reception conflicts election=" + e.id + " received_at_station=" + held->station);
    result["result"] = "conflict";
    result["received_at_station"] = held->station;
    result["received_at"] = station_rfc3339(held->at_ms, offset);
    result["received_kind"] = held->kind;
    results.push_back(result);
  }
  return json{{"election", e.id},       {"entered", entered},   {"unchanged", unchanged},
              {"conflicts", conflicts}, {"rejected", rejected}, {"results", results}}
      .dump();
}

}  // namespace kazasu::election
