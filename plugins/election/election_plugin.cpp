// The tap path: link when the reader is armed, else receive the voter whose
// card it is, with one city-wide claim per voter and election.
#include "election_plugin.hpp"

#include <kazasu/station_time.hpp>
#include <stdexcept>

#include "hints.hpp"

namespace kazasu::election {
namespace {

using nlohmann::json;

const char* kind_name(DayKind k) {
  return k == DayKind::election_day ? "election_day" : "early";
}

std::string claim_key(const std::string& election, const std::string& voter_number) {
  return "voter:" + election + ":" + voter_number;
}

}  // namespace

ElectionPlugin::ElectionPlugin(kazasu::Host host)
    : Plugin(host), config_(parse_config(host.config_json())), store_(host.database()) {
  store_.migrate();
  log(KAZASU_LOG_INFO, "election plugin ready schema=" + std::to_string(store_.schema_version()) +
                           " polling_station=" + config_.polling_station +
                           " counter_reader=" + (config_.counter_reader.empty() ? "-" : config_.counter_reader));
}

std::optional<kazasu::SettingError> ElectionPlugin::check_settings(const std::string& config_json) {
  try {
    parse_config(config_json);
    return std::nullopt;
  } catch (const std::invalid_argument& e) {
    // parse_config names the key first: "sip2_charset: required when ...".
    return kazasu::SettingError::from_sentence(e.what());
  }
}

std::string ElectionPlugin::today() const {
  return station_day(host().now_unix_ms(), host().utc_offset_seconds());
}

void ElectionPlugin::on_tap(const kazasu::Tap& tap) {
  const int64_t at = tap.detected_unix_ms > 0 ? tap.detected_unix_ms : host().now_unix_ms();
  const std::string day = station_day(at, host().utc_offset_seconds());
  if (auto arm = store_.active_arm(tap.reader, at)) {
    link_tap(tap, *arm, day);
    return;
  }
  const auto active = store_.active(config_.polling_station, day);
  const std::string first = active.empty() ? std::string() : active.front().first.id;
  if (!tap.identified()) {
    unknown_tap(tap, first, day);
    return;
  }
  const std::string token(tap.token);
  for (const auto& [e, kind] : active) {
    if (store_.voter_of(e.id, token)) {
      reception_tap(tap, e, kind, day, at);
      return;
    }
  }
  if (active.empty()) {
    publish("reception_refused",
            json{{"election", nullptr},
                 {"voter_number", nullptr},
                 {"reason", "not_open"},
                 {"hint", "No election takes receptions at this station today (" + day +
                              "): check the date and the station's setup with the election office."},
                 {"hint_ja",
                  "本日（" + day +
                      "）この投票所で受付できる選挙はありません。日付と設定を選挙管理委員会に確認してください。"}}
                .dump());
    return;
  }
  unknown_tap(tap, first, day);
}

void ElectionPlugin::reception_tap(const kazasu::Tap& tap, const Election& e, DayKind kind, const std::string& day,
                                   int64_t at) {
  const std::string number = *store_.voter_of(e.id, std::string(tap.token));
  const auto voter = store_.voter(e.id, number);
  const int32_t offset = host().utc_offset_seconds();
  auto refuse = [&](const std::string& reason, const std::string& hint, const std::string& hint_ja, const json& extra) {
    store_.count(e.id, day, "refused");
    json fields{{"election", e.id}, {"voter_number", number}, {"reason", reason}, {"hint", hint}, {"hint_ja", hint_ja}};
    fields.update(extra);
    publish("reception_refused", fields.dump());
    log(KAZASU_LOG_NOTICE, "reception refused election=" + e.id + " reason=" + reason);
  };
  if (!voter) {
    refuse("not_on_roll",
           "The linked voter number is not in the current roll version: check the voter against the roll; do not "
           "issue a ballot until the election office confirms.",
           "連携された選挙人番号が最新の選挙人名簿にありません。名簿で確認し、選挙管理委員会の確認が取れるまで投票用紙"
           "を交付しないでください。",
           json::object());
    return;
  }
  if (kind == DayKind::election_day && voter->station != config_.polling_station) {
    refuse("wrong_station",
           "On election day this voter votes at their assigned station (" + voter->station + "); send the voter there.",
           "選挙当日は指定の投票所（" + voter->station + "）でのみ投票できます。指定の投票所をご案内ください。",
           json{{"district", voter->district}, {"assigned_station", voter->station}});
    return;
  }
  auto already = [&](const std::string& where, int64_t when, const std::string& when_kind) {
    store_.count(e.id, day, "already_received");
    publish("already_received",
            json{{"election", e.id},
                 {"voter_number", number},
                 {"district", voter->district},
                 {"received_at_station", where},
                 {"received_at", station_rfc3339(when, offset)},
                 {"received_kind", when_kind},
                 {"hint",
                  "STOP: this voter was already received. Do not issue a ballot; call the chief of the polling "
                  "station."},
                 {"hint_ja", "受付済みです。投票用紙を交付せず、投票管理者に連絡してください。"}}
                .dump());
    log(KAZASU_LOG_WARNING, "second reception refused election=" + e.id + " received_at_station=" + where);
  };
  if (const auto local = store_.reception(e.id, number)) {
    already(config_.polling_station, local->at_ms, local->kind);
    return;
  }
  const json value{{"station", config_.polling_station},
                   {"at_unix_ms", at},
                   {"at", station_rfc3339(at, offset)},
                   {"kind", kind_name(kind)}};
  const kazasu::SharedResult r = host().claim(claim_key(e.id, number), value.dump());
  switch (r.status) {
    case KAZASU_SHARED_OK: {
      // The local row commits with the outcome; if anything below fails the
      // host releases the claim with the rolled-back tap.
      store_.add_reception(e.id, number, Reception{day, at, kind_name(kind)}, store_.current_roll(e.id).version,
                           tap.id);
      publish("reception", json{{"election", e.id},
                                {"voter_number", number},
                                {"district", voter->district},
                                {"assigned_station", voter->station},
                                {"kind", kind_name(kind)},
                                {"match", "token"},
                                {"received", true},
                                {"received_at", station_rfc3339(at, offset)},
                                {"eligibility_note", voter->note},
                                {"assurance", tap.assurance}}
                               .dump());
      return;
    }
    case KAZASU_SHARED_EXISTS: {
      const json holder = json::parse(r.record.value, nullptr, false);
      std::string where = r.record.station;
      int64_t when = r.record.at_unix_ms;
      std::string when_kind;
      if (holder.is_object()) {
        where = holder.value("station", where);
        when = holder.value("at_unix_ms", when);
        when_kind = holder.value("kind", std::string());
      }
      already(where, when, when_kind);
      return;
    }
    case KAZASU_SHARED_UNAVAILABLE:
      store_.count(e.id, day, "unavailable");
      publish("reception_unavailable",
              json{{"election", e.id},
                   {"voter_number", number},
                   {"district", voter->district},
                   {"hint",
                    "The city's reception database cannot be reached: nothing was recorded. Receive this voter by "
                    "the paper procedure (roll extract) and do not accept by card until it is back."},
                   {"hint_ja",
                    "共有の受付データベースに接続できません。受付は記録されていません。紙の名簿抄本による手続で受付して"
                    "ください。"}}
                  .dump());
      log(KAZASU_LOG_WARNING, "shared engine unavailable: reception refused, paper procedure election=" + e.id);
      return;
    default:
      throw std::runtime_error("shared claim refused status=" + std::to_string(static_cast<int>(r.status)));
  }
}

void ElectionPlugin::link_tap(const kazasu::Tap& tap, const Arm& arm, const std::string& day) {
  auto refuse = [&](const std::string& reason, const std::string& hint, const std::string& hint_ja) {
    store_.count(arm.election, day, "link_refused");
    publish("link_refused", json{{"election", arm.election},
                                 {"voter_number", arm.voter_number},
                                 {"reason", reason},
                                 {"status", tap.status},
                                 {"hint", hint},
                                 {"hint_ja", hint_ja},
                                 {"message", tap.message}}
                                .dump());
    log(KAZASU_LOG_NOTICE, "link refused reader=" + std::string(tap.reader) + " reason=" + reason);
  };
  if (!tap.identified()) {
    const Hint h = hint_for(tap.status);  // the arm stays for another try
    refuse(h.reason, h.hint, h.hint_ja);
    return;
  }
  store_.disarm(tap.reader);
  if (assurance_rank(std::string(tap.assurance)) < assurance_rank(config_.link_min_assurance)) {
    refuse("assurance_too_low",
           "This reader checks cards at a lower assurance than linking needs (" + config_.link_min_assurance +
               "); link at a reader configured for it.",
           "このリーダーの確認レベルでは連携登録できません。設定されたリーダーで登録してください。");
    return;
  }
  if (!store_.voter(arm.election, arm.voter_number)) {
    refuse("not_on_roll", "The voter number is no longer in the current roll version.",
           "この選挙人番号は最新の選挙人名簿にありません。");
    return;
  }
  const int64_t now = tap.detected_unix_ms > 0 ? tap.detected_unix_ms : host().now_unix_ms();
  bool replaced = false;
  if (!store_.link(arm.election, arm.voter_number, std::string(tap.token), now, replaced)) {
    refuse("already_linked",
           "This card is linked to another voter of this election; check the voter's identity with the roll.",
           "このカードは別の選挙人に連携済みです。名簿で本人確認してください。");
    return;
  }
  store_.count(arm.election, day, "links");
  publish("linked", json{{"election", arm.election},
                         {"voter_number", arm.voter_number},
                         {"replaced", replaced},
                         {"assurance", tap.assurance},
                         {"card_kind", tap.card_kind}}
                        .dump());
}

void ElectionPlugin::unknown_tap(const kazasu::Tap& tap, const std::string& election, const std::string& day) {
  if (!election.empty()) store_.count(election, day, "unknown_cards");
  const Hint h = hint_for(tap.status);
  // No identifier at all: the card is not anyone's on this station's roll.
  publish("unknown_card", json{{"status", tap.status},
                               {"reason", h.reason},
                               {"hint", h.hint},
                               {"hint_ja", h.hint_ja},
                               {"message", tap.message},
                               {"card_kind", tap.card_kind}}
                              .dump());
}

}  // namespace kazasu::election

KAZASU_PLUGIN(kazasu::election::ElectionPlugin, "election", "0.1.0",
              "Polling-station reception: a linked card receives the voter once across the city.")
