#include "dispatch/dispatcher.hpp"

#include <algorithm>

#include "audit/audit_log.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/tap_id.hpp"
#include "dispatch/plugin_call.hpp"
#include "mqtt/envelope.hpp"

namespace kazasu {

std::string Dispatcher::on_read(const ReaderConfig& reader, CardRead read) {
  Tap tap;
  tap.id = new_tap_id(read.detected_unix_ms);
  tap.reader = reader.name;
  tap.detected_unix_ms = read.detected_unix_ms;
  tap.times = read.times;
  if (!read.identity) {
    tap.status = read.identity.error().reason;
    tap.message = read.identity.error().message;
  } else if (std::find(reader.accept.begin(), reader.accept.end(), read.identity->kind) == reader.accept.end()) {
    tap.status = "card_not_accepted";
    tap.message = "this reader does not accept " + read.identity->kind + " cards";
  } else {
    tap.identity = std::move(read.identity.value());
    tap.message = "card identified";
  }
  // The basic four stay out of the Tap: only plugins granted them get a reference.
  BasicInfoRead basic_info = std::move(read.basic_info);
  if (basic_info.status.empty()) {
    basic_info = {kBasicInfoNotAvailable,
                  "reader " + reader.name + " does not read the basic four (driver " + reader.driver + ")", nullptr};
  }
  if (!tap.identity) basic_info.data.reset();
  log::info("tap", "id", tap.id, "reader", tap.reader, "status", tap.status, "kind",
            tap.identity ? tap.identity->kind : "", "assurance", tap.identity ? tap.identity->assurance : "");
  ReaderActivity& act = activity_[reader.name];
  ++act.taps;
  act.last_tap_unix_ms = tap.detected_unix_ms;
  act.last_status = tap.status;

  bool handed = false;
  for (const auto& name : reader.plugins) {
    PluginInstance* plugin = plugins_.find(name);
    if (plugin == nullptr) {
      // Refused at start: the tap must still leave a trace for staff.
      publish_daemon_outcome(tap, name, "error",
                             {{"reason", "plugin_unavailable"},
                              {"message", "plugin " + name + " is not loaded (see the daemon's log)"},
                              {"status", tap.status}});
      note_outcomes(tap, name, {"error"}, "plugin_unavailable");
      continue;
    }
    dispatch_to(*plugin, tap, plugin->granted(kPermissionBasicInfo) ? basic_info : BasicInfoRead{});
    handed = true;
  }
  if (!handed && reader.plugins.empty()) {
    publish_daemon_outcome(tap, "daemon", "unclaimed",
                           {{"status", tap.status}, {"message", "no plugin is bound to reader " + tap.reader}});
    note_outcomes(tap, "daemon", {"unclaimed"}, "ok");
  }
  return tap.id;
}

void Dispatcher::dispatch_to(PluginInstance& plugin, const Tap& tap, BasicInfoRead basic_info) {
  std::string token;
  if (tap.identity) token = key_.derive(plugin.name(), *tap.identity);
  ++in_flight_;
  auto result = [this, &plugin, tap](PluginResult result) {
    switch (result.reason) {
      case CallReason::ok: {
        storage_.commit_succeeded();
        // `{root}{plugin}/{event}`: the event is what follows the plugin's segment.
        const std::string prefix = topics_.outcome(plugin.name(), "");
        std::vector<std::string> events;
        for (const auto& o : result.committed) {
          if (o.topic.rfind(prefix, 0) == 0) events.push_back(o.topic.substr(prefix.size()));
        }
        note_outcomes(tap, plugin.name(), events, "ok");
        for (auto& o : result.committed) publisher_.enqueue(std::move(o));
        return;
      }
      case CallReason::timeout:
        log::error("plugin ran past its time budget", "plugin", plugin.name(), "id", tap.id, "budget_ms",
                   plugin.budget_ms());
        note_outcomes(tap, plugin.name(), {"error"}, to_string(CallReason::timeout));
        publish_daemon_outcome(
            tap, plugin.name(), "error",
            {{"reason", to_string(CallReason::timeout)},
             {"message", "the plugin ran past its time budget of " + std::to_string(plugin.budget_ms()) + " ms"},
             {"status", tap.status}});
        return;
      case CallReason::storage_unavailable:
        plugin.count_error();
        storage_.commit_failed(result.message);
        log::error("tap not recorded: the disk refused the plugin's commit", "plugin", plugin.name(), "id", tap.id,
                   "detail", result.message);
        note_outcomes(tap, plugin.name(), {"error"}, to_string(CallReason::storage_unavailable));
        publish_daemon_outcome(
            tap, plugin.name(), "error",
            {{"reason", to_string(CallReason::storage_unavailable)},
             {"message", "the tap was not recorded: kazasud cannot write to its data directory (" + result.message +
                             "); ask the resident to tap again once staff have freed space"},
             {"status", tap.status}});
        return;
      case CallReason::plugin_error:
      case CallReason::command_error:
      case CallReason::busy:
        break;
    }
    plugin.count_error();
    log::error("plugin failed a tap", "plugin", plugin.name(), "id", tap.id, "reason", result.error_code(), "detail",
               result.message);
    note_outcomes(tap, plugin.name(), {"error"}, result.error_code());
    publish_daemon_outcome(tap, plugin.name(), "error",
                           {{"reason", result.error_code()}, {"message", result.message}, {"status", tap.status}});
  };
  call_on_tap(io_, plugin, tap, std::move(token), std::move(basic_info),
              CallHooks{std::move(result), [this] { --in_flight_; }});
}

void Dispatcher::note_outcomes(const Tap& tap, const std::string& plugin, const std::vector<std::string>& events,
                               const std::string& result) {
  // A plugin may publish many outcomes for one tap: the audit row names the first few.
  constexpr size_t kMaxEventsRecorded = 16;
  auto& counts = activity_[tap.reader].outcomes;
  nlohmann::json names = nlohmann::json::array();
  for (const auto& event : events) {
    std::string key = plugin + "/" + event;
    if (counts.size() >= ReaderActivity::kMaxOutcomeKinds && counts.find(key) == counts.end()) key = "other";
    ++counts[key];
    if (names.size() < kMaxEventsRecorded) names.push_back(event);
  }
  nlohmann::json fields{{"id", tap.id},     {"reader", tap.reader}, {"status", tap.status},
                        {"plugin", plugin}, {"events", names},      {"result", result}};
  if (events.size() > kMaxEventsRecorded) fields["events_total"] = events.size();
  AuditLog::record("tap", fields);
}

void Dispatcher::publish_daemon_outcome(const Tap& tap, const std::string& plugin, const std::string& event,
                                        const nlohmann::json& fields) {
  const std::string topic = topics_.outcome(plugin, event);
  const std::string payload = make_payload(topics_, plugin, event, tap.id, tap.detected_unix_ms, tap.reader, fields);
  StageTimes times = tap.times;
  times.plugins_done_ns = clock::monotonic_ns();
  try {
    Outgoing o = daemon_outbox_.add(tap.id, topic, payload, times, clock::now_unix_ms());
    o.times.committed_ns = clock::monotonic_ns();
    publisher_.enqueue(std::move(o));
    storage_.commit_succeeded();
  } catch (const std::exception& e) {
    if (sqlite::is_storage_failure(e)) storage_.commit_failed(e.what());
    // The outcome still goes out, from memory: staff must learn of the tap now.
    log::error("daemon outbox append failed; outcome sent from memory only", "id", tap.id, "topic", topic, "error",
               e.what());
    publisher_.enqueue_volatile(Outgoing{nullptr, 0, tap.id, topic, payload, times});
  }
}

}  // namespace kazasu
