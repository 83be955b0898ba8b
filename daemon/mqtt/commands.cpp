#include "mqtt/commands.hpp"

#include "audit/audit_log.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/tap_id.hpp"
#include "core/text_checks.hpp"
#include "mqtt/envelope.hpp"

namespace kazasu {

std::optional<CommandTopic> CommandInbox::parse_topic(std::string_view topic, std::string_view root) {
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

void CommandInbox::handle_message(const mqtt::const_message_ptr& msg) {
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

void CommandInbox::handle(const InboundCommand& cmd) {
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
  const CommandReply reply(publisher_, topics_, cmd.response_topic, cmd.correlation_data,
                           new_tap_id(clock::now_unix_ms()), plugin, name);

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
  // Before the payload is looked at: a sender in a loop costs a reply, not a parse.
  if (!rate_.admit(command_sender(cmd.response_topic, replies), std::chrono::steady_clock::now())) {
    reply.error("rate_limited", "more commands than [mqtt] command_rate allows from " +
                                    std::string(command_sender(cmd.response_topic, replies)) + "; send again later");
    return;
  }
  if (cmd.payload_bytes > max_payload_bytes_) {
    reply.error("payload_too_large", "the request has " + std::to_string(cmd.payload_bytes) + " bytes; the limit is " +
                                         std::to_string(max_payload_bytes_));
    return;
  }
  if (text::json_nests_deeper_than(cmd.payload, kMaxJsonDepth)) {
    reply.error("too_deep", "the request nests arrays and objects deeper than " + std::to_string(kMaxJsonDepth));
    return;
  }
  auto request = nlohmann::json::parse(cmd.payload, nullptr, false);
  if (request.is_discarded()) {
    reply.error("malformed_json", "the request is not valid JSON");
    return;
  }
  if (!request.is_object()) {
    reply.error("not_an_object", "the request must be a JSON object");
    return;
  }
  route_(ParsedCommand{request.dump(), reply});
}

void CommandReply::audit(const std::string& code) const {
  // MQTT passes kazasud neither the sender's username nor its client id: what
  // it knows is the response topic the requester chose, `{root}replies/{pc}/...`.
  // `{pc}` is the requester's claim, not proof (docs/audit.md).
  const std::string prefix = topics_->root() + "replies/";
  std::string client;
  if (response_topic_.rfind(prefix, 0) == 0) {
    client = response_topic_.substr(prefix.size(), response_topic_.find('/', prefix.size()) - prefix.size());
    if (client.size() > CommandInbox::kMaxSegment) client.resize(CommandInbox::kMaxSegment);
  }
  nlohmann::json fields{{"id", id_},
                        {"plugin", plugin_.substr(0, CommandInbox::kMaxSegment)},
                        {"command", name_.substr(0, CommandInbox::kMaxSegment)},
                        {"sender", client},
                        {"ok", code.empty()}};
  if (!code.empty()) fields["code"] = code.substr(0, CommandInbox::kMaxSegment);
  AuditLog::record("command", fields);
}

void CommandReply::ok(const nlohmann::json& result) const {
  audit("");
  publisher_->send_reply(response_topic_, make_reply_payload(*topics_, id_, plugin_, name_, &result, "", ""),
                         correlation_data_);
}

void CommandReply::error(const std::string& code, const std::string& message) const {
  log::notice("command refused", "id", id_, "plugin", plugin_, "command", name_, "code", code);
  audit(code);
  publisher_->send_reply(response_topic_, make_reply_payload(*topics_, id_, plugin_, name_, nullptr, code, message),
                         correlation_data_);
}

}  // namespace kazasu
