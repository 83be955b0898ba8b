// The tap path: link when the reader is armed, else receive the voter whose
// card it is, with one city-wide claim per voter and election.
#include "election_plugin.hpp"

#include <kazasu/station_time.hpp>
#include <stdexcept>

#include "hints.hpp"
#include "voter_match.hpp"

namespace kazasu::election {

using nlohmann::json;

const char* kind_name(DayKind k) {
  return k == DayKind::election_day ? "election_day" : "early";
}

ElectionPlugin::ElectionPlugin(kazasu::Host host)
    : Plugin(host), config_(parse_config(host.config_json())), store_(host.database()) {
  store_.migrate();
  log(KAZASU_LOG_INFO, "election plugin ready schema=" + std::to_string(store_.schema_version()) +
                           " polling_station=" + config_.polling_station +
                           " counter_reader=" + (config_.counter_reader.empty() ? "-" : config_.counter_reader) +
                           " reception=" + (config_.one_step ? "one_step" : "confirm"));
}

std::optional<kazasu::SettingError> ElectionPlugin::check_settings(const std::string& config_json) {
  try {
    parse_config(config_json);
    return std::nullopt;
  } catch (const std::invalid_argument& e) {
    // parse_config names the key first: "find_by: expected token or basic_four".
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
  const bool usable = tap.identified() || tap.basic_info.has_value();
  if (!usable) {
    unknown_tap(tap, first, day);
    return;
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
  // Elections held together (a general election with the Supreme Court
  // review) each get their own outcome: each is its own reception.
  bool found_any = false;
  for (const auto& [e, kind] : active) {
    const auto found = find_voter(tap, e);
    if (!found) continue;
    found_any = true;
    voter_tap(tap, e, kind, found->first, found->second, day, at);
  }
  if (!found_any) unknown_tap(tap, first, day);
}

std::optional<std::pair<Voter, std::string>> ElectionPlugin::find_voter(const kazasu::Tap& tap,
                                                                        const Election& e) const {
  if (config_.by_token && tap.identified()) {
    if (const auto number = linked_voter(e.id, std::string(tap.token))) {
      // A link to a number the current roll lacks is still this voter: refused as not_on_roll.
      Voter v = store_.voter(e.id, *number).value_or(Voter{});
      v.voter_number = *number;
      return std::make_pair(std::move(v), std::string("token"));
    }
  }
  if (config_.by_basic_four && tap.basic_info) {
    const auto born = roll_birth_date(tap.basic_info->birth_date);
    if (!born) return std::nullopt;
    if (auto v = match_basic_four(store_.voters_born(e.id, *born), tap.basic_info->name, tap.basic_info->address)) {
      return std::make_pair(std::move(*v), std::string("basic_four"));
    }
  }
  return std::nullopt;
}

void ElectionPlugin::voter_tap(const kazasu::Tap& tap, const Election& e, DayKind kind, const Voter& v,
                               const std::string& method, const std::string& day, int64_t at) {
  const std::optional<Voter> on_roll = v.name_kanji.empty() ? std::nullopt : std::optional<Voter>(v);
  if (const auto r = refusal(e, kind, on_roll)) {
    refuse(e, v.voter_number, day, *r);
    return;
  }
  const Reception reception{day, at, kind_name(kind), method};
  if (config_.one_step) {
    receive(e, v, reception, std::string(tap.id));
    return;
  }
  // Confirm mode: look, do not claim. The claim is made when staff confirm.
  std::optional<Holder> held;
  try {
    held = holder(e, v.voter_number);
  } catch (const SharedAway&) {
    unavailable(e, v, day);
    return;
  }
  if (held) {
    already(e, v, day, *held);
    return;
  }
  const int64_t expires = at + config_.match_timeout_ms;
  store_.put_match(Match{e.id, v.voter_number, method, std::string(tap.id), at, expires});
  store_.count(e.id, day, "matches");
  json checks = json::array({"face_photo"});
  if (!v.note.empty()) checks.push_back("eligibility_note");
  publish("match",
          json{{"election", e.id},
               {"voter_number", v.voter_number},
               {"district", v.district},
               {"assigned_station", v.station},
               {"kind", kind_name(kind)},
               {"match", method},
               {"eligibility_note", v.note},
               {"checks", checks},
               {"confirm_before", station_rfc3339(expires, host().utc_offset_seconds())},
               {"assurance", tap.assurance},
               {"hint",
                "On the roll and not yet received. Check the face photo on the card against the voter, "
                "then confirm the reception."},
               {"hint_ja", "名簿に登録があり、未受付です。カードの顔写真で本人確認のうえ、受付を確定してください。"}}
              .dump());
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
  const std::string token(tap.token);
  const auto owner = linked_voter(arm.election, token);
  bool replaced = false;
  if ((owner && *owner != arm.voter_number) || !store_.link(arm.election, arm.voter_number, token, now, replaced)) {
    refuse("already_linked",
           "This card is linked to another voter of this election; check the voter's identity with the roll.",
           "このカードは別の選挙人に連携済みです。名簿で本人確認してください。");
    return;
  }
  replaced = share_link(arm.election, arm.voter_number, token, std::string(tap.id)) || replaced;
  store_.count(arm.election, day, "links");
  publish("linked", json{{"election", arm.election},
                         {"voter_number", arm.voter_number},
                         {"replaced", replaced},
                         {"assurance", tap.assurance},
                         {"card_kind", tap.card_kind}}
                        .dump());
}

// Links travel as entries on the shared engine, newest first wins: a card
// linked at city hall's counter is known at every polling station, and the
// entries are local first, so a link made while the engine is away arrives
// when it is back. "" is an unlink (the voter's card was replaced).
std::optional<std::string> ElectionPlugin::linked_voter(const std::string& election, const std::string& token) const {
  const kazasu::SharedEntries r = host().entries("link:" + election + ":" + token, 1);
  if (r.status != KAZASU_SHARED_OK) return store_.voter_of(election, token);  // the engine is away: this station's own
  const json list = json::parse(r.entries_json, nullptr, false);
  if (!list.is_array() || list.empty() || !list[0].is_object()) return std::nullopt;
  const std::string number = list[0].value("body", std::string());
  if (number.empty()) return std::nullopt;
  return number;
}

bool ElectionPlugin::share_link(const std::string& election, const std::string& voter_number, const std::string& token,
                                const std::string& event_id) {
  std::optional<std::string> previous;
  const kazasu::SharedEntries r = host().entries("linked:" + election + ":" + voter_number, 1);
  if (r.status == KAZASU_SHARED_OK) {
    const json list = json::parse(r.entries_json, nullptr, false);
    if (list.is_array() && !list.empty() && list[0].is_object()) previous = list[0].value("body", std::string());
  }
  const std::string id = config_.polling_station + ":" + event_id;
  auto append = [&](const std::string& key, const std::string& body) {
    const kazasu_shared_status st = host().append(key, id, body, 0);
    if (st != KAZASU_SHARED_OK) throw std::runtime_error("shared append refused status=" + std::to_string(st));
  };
  const bool replaced = previous && !previous->empty() && *previous != token;
  if (replaced) append("link:" + election + ":" + *previous, "");
  append("link:" + election + ":" + token, voter_number);
  append("linked:" + election + ":" + voter_number, token);
  return replaced;
}

void ElectionPlugin::unknown_tap(const kazasu::Tap& tap, const std::string& election, const std::string& day) {
  if (!election.empty()) store_.count(election, day, "unknown_cards");
  Hint h = hint_for(tap.status);
  if (tap.identified() || tap.basic_info) h = not_found_hint(tap.basic_info.has_value());
  // A card not found by its link may be found by the basic four: say how.
  if (config_.by_basic_four && !tap.basic_info && !tap.basic_info_status.empty()) {
    h = basic_four_hint(tap.basic_info_status);
  }
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
