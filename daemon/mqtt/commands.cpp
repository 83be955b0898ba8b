#include "mqtt/commands.hpp"

#include <boost/asio/steady_timer.hpp>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/tap_id.hpp"
#include "core/text_checks.hpp"

namespace kazasu {

std::optional<CommandTopic> CommandRouter::parse_topic(std::string_view topic, std::string_view root) {
  // Cheap, bounded checks before anything is copied: the whole length first,
  // then one pass over the bytes of each segment.
  if (topic.size() > root.size() + kMaxTopicTail || topic.substr(0, root.size()) != root) return std::nullopt;
  const std::string_view tail = topic.substr(root.size());
  const size_t first = tail.find('/');
  if (first == std::string_view::npos) return std::nullopt;
  constexpr std::string_view kCmd = "/cmd/";
  if (tail.substr(first, kCmd.size()) != kCmd) return std::nullopt;
  const std::string_view plugin = tail.substr(0, first);
  const std::string_view name = tail.substr(first + kCmd.size());
  // `+/cmd/+` only matches one segment each, but a broker is outside input too.
  if (plugin.empty() || name.empty() || name.find('/') != std::string_view::npos) return std::nullopt;
  if (plugin.size() > kMaxSegment || name.size() > kMaxSegment) return std::nullopt;
  return CommandTopic{std::string(plugin), std::string(name)};
}

void CommandRouter::handle_message(const mqtt::const_message_ptr& msg) {
  // Sizes first, from Paho's own buffers, so nothing oversized is copied.
  const std::string& topic = msg->get_topic();
  if (topic.size() > topics_.root().size() + kMaxTopicTail) {
    log::warning("command dropped: malformed topic", "topic_bytes", topic.size(), "topic_start",
                 std::string_view(topic).substr(0, 96));
    return;
  }
  InboundCommand c;
  c.topic = topic;
  const auto& payload = msg->get_payload_ref();
  c.payload_bytes = payload.size();
  if (c.payload_bytes <= max_payload_bytes_) c.payload.assign(payload.data(), payload.size());
  const auto& props = msg->get_properties();
  if (props.contains(mqtt::property::RESPONSE_TOPIC)) {
    auto rt = mqtt::get<std::string>(props, mqtt::property::RESPONSE_TOPIC);
    if (rt.size() > kMaxResponseTopic) {
      log::warning("command dropped: its response topic is too long", "bytes", rt.size());
      return;
    }
    c.response_topic = std::move(rt);
  }
  if (props.contains(mqtt::property::CORRELATION_DATA)) {
    auto cd = mqtt::get<mqtt::binary>(props, mqtt::property::CORRELATION_DATA);
    if (cd.size() > kMaxCorrelationData) {
      log::warning("command dropped: its correlation data is too long", "bytes", cd.size());
      return;
    }
    c.correlation_data = std::move(cd);
  }
  handle(c);
}

void CommandRouter::handle(const InboundCommand& cmd) {
  auto parsed = parse_topic(cmd.topic, topics_.root());
  if (!parsed) {
    // No reply: a topic this malformed names no plugin to answer for. The
    // topic itself may be huge, so the log has its size and a short prefix.
    log::warning("command dropped: malformed topic", "topic_bytes", cmd.topic.size(), "topic_start",
                 cmd.topic.substr(0, 96));
    return;
  }
  const std::string& plugin = parsed->plugin;
  const std::string& name = parsed->name;
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
  if (cmd.payload_bytes > max_payload_bytes_) {
    reply(cmd, plugin, name, id, nullptr, "payload_too_large",
          "the request has " + std::to_string(cmd.payload_bytes) + " bytes; the limit is " +
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
  if (!target->takes_commands() || !text::is_token(name)) {
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
