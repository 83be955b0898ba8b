#include "mqtt/commands.hpp"

#include <boost/asio/steady_timer.hpp>
#include <regex>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/tap_id.hpp"

namespace kazasu {

void CommandRouter::handle(const InboundCommand& cmd) {
  // topic = root + plugin + "/cmd/" + name; the subscription guarantees the root.
  static const std::regex kTail("^([^/]+)/cmd/([^/]+)$");
  std::smatch m;
  const std::string tail = cmd.topic.substr(topics_.root().size());
  if (!std::regex_match(tail, m, kTail)) return;
  const std::string plugin = m[1];
  const std::string name = m[2];
  const std::string id = new_tap_id(clock::now_unix_ms());

  if (cmd.response_topic.empty()) {
    log::warning("command dropped: no MQTT v5 response topic to answer on", "plugin", plugin, "command", name);
    return;
  }
  const std::string replies = topics_.root() + "replies/";
  if (cmd.response_topic.rfind(replies, 0) != 0 || cmd.response_topic.find_first_of("+#") != std::string::npos) {
    log::warning("command dropped: its response topic is outside this station's replies/ prefix", "plugin", plugin,
                 "command", name, "response_topic", cmd.response_topic);
    return;
  }
  if (cmd.payload.size() > max_payload_bytes_) {
    reply(cmd, plugin, name, id, nullptr, "payload_too_large",
          "the request has " + std::to_string(cmd.payload.size()) + " bytes; the limit is " +
              std::to_string(max_payload_bytes_));
    return;
  }
  auto request = nlohmann::json::parse(cmd.payload, nullptr, false);
  if (request.is_discarded()) {
    reply(cmd, plugin, name, id, nullptr, "malformed_json", "the request is not valid JSON");
    return;
  }
  if (!request.is_object()) {
    reply(cmd, plugin, name, id, nullptr, "not_an_object", "the request must be a JSON object");
    return;
  }
  PluginInstance* target = plugins_.find(plugin);
  if (target == nullptr) {
    reply(cmd, plugin, name, id, nullptr, "unknown_plugin", "no plugin named \"" + plugin + "\" runs on this station");
    return;
  }
  static const std::regex kName("^[a-z0-9_]{1,64}$");
  if (!target->takes_commands() || !std::regex_match(name, kName)) {
    reply(cmd, plugin, name, id, nullptr, "unknown_command", "plugin " + plugin + " has no command \"" + name + "\"");
    return;
  }

  log::info("command", "id", id, "plugin", plugin, "command", name);
  auto run = std::make_shared<TapRun>();
  auto timer = std::make_shared<boost::asio::steady_timer>(io_);
  auto started = [this, cmd, plugin, name, id, run, timer, target] {
    timer->expires_after(std::chrono::milliseconds(target->budget_ms()));
    timer->async_wait([this, cmd, plugin, name, id, run, target](const boost::system::error_code& ec) {
      if (ec || !run->claim(TapRun::timed_out)) return;
      target->count_error();
      reply(cmd, plugin, name, id, nullptr, "timeout", "the plugin ran past its time budget");
    });
  };
  auto done = [this, cmd, plugin, name, id, timer](PluginResult r) {
    timer->cancel();
    if (r.ok) {
      for (auto& o : r.committed) publisher_.enqueue(std::move(o));
      const auto result = nlohmann::json::parse(r.reply_json, nullptr, false);
      reply(cmd, plugin, name, id, &result, "", "");
      return;
    }
    if (r.reason == "timeout") return;  // answered by the deadline
    reply(cmd, plugin, name, id, nullptr, r.reason, r.message);
  };
  target->dispatch_command(CommandRequest{id, name, request.dump()}, run, io_, std::move(started), std::move(done));
}

void CommandRouter::reply(const InboundCommand& cmd, const std::string& plugin, const std::string& name,
                          const std::string& id, const nlohmann::json* result, const std::string& code,
                          const std::string& message) {
  nlohmann::ordered_json j;
  j["schema"] = "kazasu/v1/reply";
  j["id"] = id;
  j["ts"] = clock::rfc3339(clock::now_unix_ms());
  j["site"] = topics_.site();
  j["station"] = topics_.station();
  j["plugin"] = plugin;
  j["command"] = name;
  j["ok"] = result != nullptr;
  if (result != nullptr) {
    j["result"] = *result;
  } else {
    j["error"] = {{"code", code}, {"message", message}};
    log::notice("command refused", "id", id, "plugin", plugin, "command", name, "code", code);
  }
  publisher_.send_reply(cmd.response_topic, j.dump(), cmd.correlation_data);
}

}  // namespace kazasu
