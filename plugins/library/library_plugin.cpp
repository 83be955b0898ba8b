// The tap path: link when the reader is armed, else tell the circulation PC
// who the patron is, or what staff should do about the card.
#include "library_plugin.hpp"

#include <chrono>
#include <kazasu/station_time.hpp>
#include <stdexcept>

#include "hints.hpp"

namespace kazasu::library {
namespace {

using nlohmann::json;

json optional_number(const std::optional<int>& v) {
  return v ? json(*v) : json(nullptr);
}

// `forward_screen`: the ILS's free-text lines may greet the patron by name, so
// they leave the station only when the config asks for them.
json ils_object(const sip2::PatronInfo& p, bool forward_screen) {
  std::string screen;
  for (const auto& m : forward_screen ? p.screen_messages : std::vector<std::string>{}) {
    if (!screen.empty()) screen += '\n';
    screen += m;
  }
  // Deliberately absent: the name (AE), addresses, e-mail and phone of a 64.
  return json{
      {"valid_patron", p.valid_patron},
      {"charge_privileges_denied", !p.status_mask.empty() && p.status_mask[0] == 'Y'},
      {"charged_items", optional_number(p.charged_items)},
      {"charged_items_limit", optional_number(p.charged_items_limit)},
      {"holds", optional_number(p.holds)},
      {"hold_items_limit", optional_number(p.hold_items_limit)},
      {"overdue_items", optional_number(p.overdue_items)},
      {"fine_items", optional_number(p.fine_items)},
      {"fee_amount", p.fee_amount},
      {"currency", p.currency},
      {"screen_message", screen},
  };
}

}  // namespace

LibraryPlugin::LibraryPlugin(kazasu::Host host)
    : Plugin(host), config_(parse_config(host.config_json())), store_(host.database()), links_(host, store_) {
  store_.migrate();
  // Links made while the shared engine was away (and, once, every link of a
  // single-station file) reach it at the first sync.
  host.set_timer(kSyncTimer, host.now_unix_ms() + config_.sync_interval_ms);
  if (config_.sip2.enabled()) sip2_ = std::make_unique<Sip2Client>(config_.sip2);
  log(KAZASU_LOG_INFO, "library plugin ready schema=" + std::to_string(store_.schema_version()) +
                           " sip2=" + (sip2_ ? "on" : "off") +
                           " counter_reader=" + (config_.counter_reader.empty() ? "-" : config_.counter_reader));
}

std::optional<kazasu::SettingError> LibraryPlugin::check_settings(const std::string& config_json) {
  try {
    parse_config(config_json);
    return std::nullopt;
  } catch (const std::invalid_argument& e) {
    // parse_config names the key first: "sip2_charset: required when ...".
    return kazasu::SettingError::from_sentence(e.what());
  }
}

std::string LibraryPlugin::today() const {
  return station_day(host().now_unix_ms(), host().utc_offset_seconds());
}

void LibraryPlugin::on_tap(const kazasu::Tap& tap) {
  const int64_t at = tap.detected_unix_ms > 0 ? tap.detected_unix_ms : host().now_unix_ms();
  const std::string day = station_day(at, host().utc_offset_seconds());
  store_.count(day, "taps");
  if (auto arm = store_.active_arm(tap.reader, at)) {
    link_tap(tap, *arm, day);
    return;
  }
  if (!tap.identified()) {
    unknown_tap(tap, day);
    return;
  }
  if (auto link = links_.find_by_token(std::string(tap.token))) {
    patron_tap(tap, *link, day);
  } else {
    unknown_tap(tap, day);
  }
}

void LibraryPlugin::link_tap(const kazasu::Tap& tap, const Arm& arm, const std::string& day) {
  auto refuse = [&](const std::string& reason, const std::string& hint, const std::string& hint_ja, const json& extra) {
    store_.count(day, "link_refused");
    json fields{{"patron", arm.patron}, {"reason", reason},   {"status", tap.status},
                {"hint", hint},         {"hint_ja", hint_ja}, {"message", tap.message}};
    fields.update(extra);
    publish("link_refused", fields.dump());
    log(KAZASU_LOG_NOTICE, "link refused reader=" + std::string(tap.reader) + " reason=" + reason);
  };
  if (!tap.identified()) {
    // The arm stays: the patron can fix a wrong PIN or a shaky hand and tap again.
    const Hint h = hint_for(tap.status);
    refuse(h.reason, h.hint, h.hint_ja, json::object());
    return;
  }
  if (assurance_rank(std::string(tap.assurance)) < assurance_rank(config_.link_min_assurance)) {
    store_.disarm(tap.reader);
    refuse("assurance_too_low",
           "This reader reads cards at a lower assurance than linking needs (" + config_.link_min_assurance +
               "); link at a reader configured for it.",
           "このリーダーの確認レベルでは連携登録できません。設定されたカウンターのリーダーで登録してください。",
           json{{"assurance", tap.assurance}});
    return;
  }
  const int64_t now = tap.detected_unix_ms > 0 ? tap.detected_unix_ms : host().now_unix_ms();
  const auto done = links_.link(arm.patron, std::string(tap.token), now, std::string(tap.id));
  const LinkResult& r = done.result;
  store_.disarm(tap.reader);
  if (r.outcome == LinkOutcome::already_linked) {
    // The holder of this card is the patron it is linked to, so staff may see
    // that number: they need it to unlink before linking to a new number.
    refuse("already_linked",
           "This card is already linked to another patron number; unlink that one first if the patron "
           "changed numbers.",
           "このカードは別の利用者番号に連携済みです。番号を変更する場合は先に連携を解除してください。",
           json{{"linked_patron", r.linked_patron}});
    return;
  }
  store_.count(day, "links");
  const auto link = store_.find_by_patron(arm.patron);
  publish("linked", json{{"patron", arm.patron},
                         {"replaced", r.outcome == LinkOutcome::replaced},
                         {"unchanged", r.outcome == LinkOutcome::unchanged},
                         {"relinks", link ? link->relinks : 0},
                         {"pending_sync", done.pending},
                         {"assurance", tap.assurance},
                         {"card_kind", tap.card_kind}}
                        .dump());
  log(KAZASU_LOG_INFO, "card linked reader=" + std::string(tap.reader) +
                           " replaced=" + (r.outcome == LinkOutcome::replaced ? "yes" : "no"));
}

void LibraryPlugin::on_timer(uint64_t timer_id, int64_t now_unix_ms) {
  if (timer_id != kSyncTimer) return;
  sync_links();
  host().set_timer(kSyncTimer, now_unix_ms + config_.sync_interval_ms);
}

void LibraryPlugin::sync_links() {
  bool reached = false;
  for (const auto& c : links_.sync(reached)) {
    publish("link_conflict",
            json{{"patron", c.patron},
                 {"linked_patron", c.linked_patron},
                 {"made_at", c.station},
                 {"hint",
                  "A card linked while the city's link database was away is linked to another patron "
                  "number there; it stays with that number. Check with the holder, then unlink and link "
                  "again if needed."},
                 {"hint_ja",
                  "共有データベースに接続できない間の連携登録が、別の利用者番号の連携と重なりました。"
                  "カードは既存の番号に連携されたままです。本人に確認のうえ、必要なら解除して再登録してください。"}}
                .dump());
    log(KAZASU_LOG_WARNING, "link conflict reported id=" + c.id);
  }
  if (!reached) log(KAZASU_LOG_INFO, "shared links not reached; links made here wait for the next sync");
}

void LibraryPlugin::patron_tap(const kazasu::Tap& tap, const Link& link, const std::string& day) {
  store_.count(day, "patron_taps");
  store_.count_patron(day, link.patron);
  const int64_t now = host().now_unix_ms();
  const int64_t age_ms = now - link.linked_ms;
  json fields{{"patron", link.patron},
              {"link_age_days", age_ms > 0 ? age_ms / kMsPerDay : 0},
              {"assurance", tap.assurance},
              {"card_kind", tap.card_kind}};
  fields.update(ils_fields(link.patron, now));
  publish("patron", fields.dump());
}

json LibraryPlugin::ils_fields(const std::string& patron, int64_t now_ms) {
  if (!sip2_) return json{{"ils", "off"}};
  const auto t0 = std::chrono::steady_clock::now();
  const Sip2Lookup r = sip2_->lookup(patron, now_ms, host().utc_offset_seconds());
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  if (!r.ok) {
    // The patron stands at the counter either way: lend on what the link says.
    log(KAZASU_LOG_WARNING,
        "ILS unavailable reason=" + r.reason + " ms=" + std::to_string(ms.count()) + " detail=\"" + r.detail + "\"");
    return json{{"ils", "unavailable"}, {"ils_reason", r.reason}};
  }
  log(KAZASU_LOG_DEBUG, "ILS answered ms=" + std::to_string(ms.count()));
  return json{{"ils", ils_object(r.info, config_.sip2.screen_messages)}};
}

void LibraryPlugin::unknown_tap(const kazasu::Tap& tap, const std::string& day) {
  store_.count(day, "unknown_cards");
  const Hint h = hint_for(tap.status);
  publish("unknown_card", json{{"status", tap.status},
                               {"reason", h.reason},
                               {"hint", h.hint},
                               {"hint_ja", h.hint_ja},
                               {"message", tap.message},
                               {"card_kind", tap.card_kind}}
                              .dump());
}

}  // namespace kazasu::library

KAZASU_PLUGIN(kazasu::library::LibraryPlugin, "library", "1.0.0",
              "Library lending: a linked My Number Card tells the counter which patron is there.")
