#include "dispatch/dispatcher.hpp"

#include <algorithm>

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

  bool handed = false;
  for (const auto& name : reader.plugins) {
    PluginInstance* plugin = plugins_.find(name);
    if (plugin == nullptr) {
      // Refused at start: the tap must still leave a trace for staff.
      publish_daemon_outcome(tap, name, "error",
                             {{"reason", "plugin_unavailable"},
                              {"message", "plugin " + name + " is not loaded (see the daemon's log)"},
                              {"status", tap.status}});
      continue;
    }
    dispatch_to(*plugin, tap, plugin->granted(kPermissionBasicInfo) ? basic_info : BasicInfoRead{});
    handed = true;
  }
  if (!handed && reader.plugins.empty()) {
    publish_daemon_outcome(tap, "daemon", "unclaimed",
                           {{"status", tap.status}, {"message", "no plugin is bound to reader " + tap.reader}});
  }
  return tap.id;
}

void Dispatcher::dispatch_to(PluginInstance& plugin, const Tap& tap, BasicInfoRead basic_info) {
  std::string token;
  if (tap.identity) token = key_.derive(plugin.name(), *tap.identity);
  ++in_flight_;
  auto result = [this, &plugin, tap](PluginResult result) {
    switch (result.reason) {
      case CallReason::ok:
        storage_.commit_succeeded();
        for (auto& o : result.committed) publisher_.enqueue(std::move(o));
        return;
      case CallReason::timeout:
        log::error("plugin ran past its time budget", "plugin", plugin.name(), "id", tap.id, "budget_ms",
                   plugin.budget_ms());
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
    publish_daemon_outcome(tap, plugin.name(), "error",
                           {{"reason", result.error_code()}, {"message", result.message}, {"status", tap.status}});
  };
  call_on_tap(io_, plugin, tap, std::move(token), std::move(basic_info),
              CallHooks{std::move(result), [this] { --in_flight_; }});
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
