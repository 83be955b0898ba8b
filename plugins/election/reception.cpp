// Receiving a voter: the checks every way in shares (a tap, staff's confirm,
// a voter without a card, an absentee ballot, a paper reception entered
// later), the one city-wide claim, this station's row and the tallies the
// counts are made of.
#include <algorithm>
#include <kazasu/station_time.hpp>
#include <stdexcept>

#include "election_plugin.hpp"

namespace kazasu::election {

std::string claim_key(const std::string& election, const std::string& voter_number) {
  return "voter:" + election + ":" + voter_number;
}

Holder holder_of(const kazasu::SharedRecord& record) {
  Holder h{record.station, record.at_unix_ms, "", ""};
  const nlohmann::json value = nlohmann::json::parse(record.value, nullptr, false);
  if (value.is_object()) {
    h.station = value.value("station", h.station);
    h.at_ms = value.value("at_unix_ms", h.at_ms);
    h.kind = value.value("kind", std::string());
    h.method = value.value("method", std::string());
  }
  return h;
}

namespace {

using nlohmann::json;

// 公職選挙法 第48条の2 第1項: the six grounds a voter declares for voting early.
const json& declaration_reasons() {
  static const json reasons = json::array({
      {{"code", 1},
       {"ja", "仕事、学業、地域行事、冠婚葬祭その他の用務に従事"},
       {"en", "work, study, a community duty, a wedding or funeral, or other business"}},
      {{"code", 2},
       {"ja", "用務（第1号以外）又は事故のため投票区の区域外に旅行・滞在"},
       {"en", "travel or a stay outside the polling district"}},
      {{"code", 3},
       {"ja", "疾病、負傷、妊娠、老衰、身体障害等のため歩行が困難又は刑事施設等に収容"},
       {"en", "illness, injury, pregnancy, old age or disability making walking hard, or detention"}},
      {{"code", 4},
       {"ja", "交通至難の島等に居住・滞在"},
       {"en", "living or staying on a remote island or similar area"}},
      {{"code", 5},
       {"ja", "投票区のある市区町村の区域外の住所に居住"},
       {"en", "living at an address outside the municipality of the polling district"}},
      {{"code", 6},
       {"ja", "天災又は悪天候により投票所に到達することが困難"},
       {"en", "a natural disaster or bad weather making the polling station hard to reach"}},
  });
  return reasons;
}

}  // namespace

std::optional<ElectionPlugin::Refusal> ElectionPlugin::refusal(const Election& e, DayKind kind,
                                                               const std::optional<Voter>& v) const {
  if (kind == DayKind::none) {
    return Refusal{"outside_period",
                   "This station takes no receptions for " + e.id + " today: check the voting period.",
                   "本日この投票所ではこの選挙の受付はできません。投票期間を確認してください。"};
  }
  if (!v) {
    return Refusal{"not_on_roll",
                   "The voter number is not in the current roll version: check the voter against the roll; do not "
                   "issue a ballot until the election office confirms.",
                   "この選挙人番号は最新の選挙人名簿にありません。名簿で確認し、選挙管理委員会の確認が取れるまで投票"
                   "用紙を交付しないでください。"};
  }
  const auto& notes = config_.not_eligible_notes;
  if (!v->note.empty() && std::find(notes.begin(), notes.end(), v->note) != notes.end()) {
    return Refusal{"not_eligible",
                   "The roll marks this voter as not entitled to vote in this election (" + v->note +
                       "): do not issue a ballot; call the chief of the polling station.",
                   "名簿上、この選挙で投票できない選挙人です（" + v->note +
                       "）。投票用紙を交付せず、投票管理者に連絡してください。",
                   json{{"district", v->district}, {"eligibility_note", v->note}}};
  }
  if (kind == DayKind::election_day && v->station != config_.polling_station) {
    return Refusal{
        "wrong_station",
        "On election day this voter votes at their assigned station (" + v->station + "); send the voter there.",
        "選挙当日は指定の投票所（" + v->station + "）でのみ投票できます。指定の投票所をご案内ください。",
        json{{"district", v->district}, {"assigned_station", v->station}}};
  }
  return std::nullopt;
}

json ElectionPlugin::refuse(const Election& e, const std::string& voter_number, const std::string& day,
                            const Refusal& r) {
  store_.count(e.id, day, "refused");
  json fields{{"election", e.id},
              {"voter_number", voter_number},
              {"reason", r.reason},
              {"hint", r.hint},
              {"hint_ja", r.hint_ja}};
  fields.update(r.extra);
  publish("reception_refused", fields.dump());
  log(KAZASU_LOG_NOTICE, "reception refused election=" + e.id + " reason=" + r.reason);
  fields["received"] = false;
  return fields;
}

std::optional<Holder> ElectionPlugin::holder(const Election& e, const std::string& voter_number) const {
  if (const auto local = store_.reception(e.id, voter_number)) {
    return Holder{config_.polling_station, local->at_ms, local->kind, local->method};
  }
  const kazasu::SharedResult r = host().get(claim_key(e.id, voter_number));
  if (r.status == KAZASU_SHARED_NOT_FOUND) return std::nullopt;
  if (r.status != KAZASU_SHARED_OK) throw SharedAway{};
  return holder_of(r.record);
}

json ElectionPlugin::already(const Election& e, const Voter& v, const std::string& day, const Holder& h) {
  store_.count(e.id, day, "already_received");
  json fields{{"election", e.id},
              {"voter_number", v.voter_number},
              {"district", v.district},
              {"received_at_station", h.station},
              {"received_at", station_rfc3339(h.at_ms, host().utc_offset_seconds())},
              {"received_kind", h.kind},
              {"hint",
               "STOP: this voter was already received. Do not issue a ballot; call the chief of the polling "
               "station."},
              {"hint_ja", "受付済みです。投票用紙を交付せず、投票管理者に連絡してください。"}};
  publish("already_received", fields.dump());
  log(KAZASU_LOG_WARNING, "second reception refused election=" + e.id + " received_at_station=" + h.station);
  fields["received"] = false;
  fields["reason"] = "already_received";
  return fields;
}

json ElectionPlugin::unavailable(const Election& e, const Voter& v, const std::string& day) {
  store_.count(e.id, day, "unavailable");
  json fields{{"election", e.id},
              {"voter_number", v.voter_number},
              {"district", v.district},
              {"hint",
               "The city's reception database cannot be reached: nothing was recorded. Receive this voter by the "
               "paper procedure (roll extract); enter the paper receptions with election/cmd/enter_paper when it "
               "is back."},
              {"hint_ja",
               "共有の受付データベースに接続できません。受付は記録されていません。紙の名簿抄本による手続で受付し、"
               "復旧後に紙の受付を入力してください。"}};
  publish("reception_unavailable", fields.dump());
  log(KAZASU_LOG_WARNING, "shared engine unavailable: reception refused, paper procedure election=" + e.id);
  fields["received"] = false;
  fields["reason"] = "reception_unavailable";
  return fields;
}

json ElectionPlugin::receive(const Election& e, const Voter& v, const Reception& r, const std::string& event_id) {
  const int32_t offset = host().utc_offset_seconds();
  if (const auto local = store_.reception(e.id, v.voter_number)) {
    return already(e, v, r.day, Holder{config_.polling_station, local->at_ms, local->kind, local->method});
  }
  const json value{{"station", config_.polling_station},
                   {"at_unix_ms", r.at_ms},
                   {"at", station_rfc3339(r.at_ms, offset)},
                   {"kind", r.kind},
                   {"method", r.method}};
  const kazasu::SharedResult claimed = host().claim(claim_key(e.id, v.voter_number), value.dump());
  if (claimed.status == KAZASU_SHARED_EXISTS) {
    return already(e, v, r.day, holder_of(claimed.record));
  }
  if (claimed.status == KAZASU_SHARED_UNAVAILABLE) return unavailable(e, v, r.day);
  if (claimed.status != KAZASU_SHARED_OK) {
    throw std::runtime_error("shared claim refused status=" + std::to_string(static_cast<int>(claimed.status)));
  }
  return record(e, v, r, event_id);
}

json ElectionPlugin::record(const Election& e, const Voter& v, const Reception& r, const std::string& event_id) {
  const int32_t offset = host().utc_offset_seconds();
  // The row, the tallies and the outcome commit together with the claim; if
  // anything below fails the host releases the claim with the rolled-back call.
  const int64_t row = store_.add_reception(e.id, v, r, store_.current_roll(e.id).version, event_id);
  store_.drop_match(e.id, v.voter_number);
  const std::string entry = config_.polling_station + ":" + std::to_string(row);
  const std::string t = "tally:" + e.id + ":";
  std::vector<std::string> keys = {t + "all", t + "sex:" + v.sex, t + "kind:" + r.kind + ":sex:" + v.sex,
                                   t + "district:" + v.district, t + "station:" + config_.polling_station};
  if (r.kind == "early") keys.push_back(t + "early:" + r.day + ":" + config_.polling_station + ":sex:" + v.sex);
  for (const auto& key : keys) {
    const kazasu_shared_status st = host().append(key, entry, "", 1);
    if (st != KAZASU_SHARED_OK) throw std::runtime_error("shared append refused status=" + std::to_string(st));
  }
  json fields{{"election", e.id},
              {"voter_number", v.voter_number},
              {"district", v.district},
              {"assigned_station", v.station},
              {"kind", r.kind},
              {"match", r.method},
              {"received", true},
              {"received_at", station_rfc3339(r.at_ms, offset)},
              {"eligibility_note", v.note}};
  publish("reception", fields.dump());
  if (r.kind == "early" && r.method != "paper") publish_declaration(e, v, r);
  publish_counts(r.day);
  return fields;
}

void ElectionPlugin::publish_declaration(const Election& e, const Voter& v, const Reception& r) {
  json fields{{"election", e.id},
              {"election_name", e.name},
              {"election_day", e.election_day},
              {"date", r.day},
              {"polling_station", config_.polling_station},
              {"voter_number", v.voter_number},
              {"district", v.district},
              {"reasons", declaration_reasons()},
              {"personal_fields", "none"}};
  // Personal fields come from the roll, never from the card, and only where
  // the city asked for them over a link it trusts (README: Declaration).
  if (config_.declaration_fields != "none" && (config_.declaration_over_plain_mqtt || host().broker_encrypted())) {
    fields["personal_fields"] = config_.declaration_fields;
    fields["name_kanji"] = v.name_kanji;
    fields["name_kana"] = v.name_kana;
    if (config_.declaration_fields == "name_address") fields["address"] = v.address;
  }
  publish("declaration", fields.dump());
}

void ElectionPlugin::publish_counts(const std::string& day) {
  json elections = json::array();
  for (const auto& [e, kind] : store_.active(config_.polling_station, day)) {
    (void)kind;
    elections.push_back(station_counts(e, day));
  }
  host().publish_retained(
      "counts", json{{"day", day}, {"polling_station", config_.polling_station}, {"elections", elections}}.dump());
}

}  // namespace kazasu::election
