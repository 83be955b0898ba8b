// Commands from facility PCs, the MQTT side: `{plugin}/cmd/{name}` with an
// MQTT v5 response topic and correlation data. The inbox checks sizes before
// anything is copied, splits the topic, checks the response topic and the
// JSON, and hands a well-formed request to the router (dispatch/) with a
// CommandReply to answer on. Every malformed request gets an error reply, or a
// log line when no reply is possible (no response topic, or one outside the
// station's replies/ prefix, which the broker's ACL would refuse).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "mqtt/command_rate.hpp"
#include "mqtt/publisher.hpp"
#include "mqtt/topics.hpp"

namespace kazasu {

struct InboundCommand {
  std::string topic;
  std::string payload;           // empty when payload_bytes is over the limit: never kept
  size_t payload_bytes = 0;      // the size the request had on the wire
  std::string response_topic;    // empty when the request had none
  std::string correlation_data;  // echoed as given (binary)
};

struct CommandTopic {
  std::string plugin;
  std::string name;
};

/** Answers one request on its response topic (io thread; not durable). */
class CommandReply {
 public:
  CommandReply(Publisher& publisher, const Topics& topics, std::string response_topic, std::string correlation_data,
               std::string id, std::string plugin, std::string name)
      : publisher_(&publisher),
        topics_(&topics),
        response_topic_(std::move(response_topic)),
        correlation_data_(std::move(correlation_data)),
        id_(std::move(id)),
        plugin_(std::move(plugin)),
        name_(std::move(name)) {}

  [[nodiscard]] const std::string& id() const { return id_; }
  [[nodiscard]] const std::string& plugin() const { return plugin_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  void ok(const nlohmann::json& result) const;
  /** Logged as a refusal too. */
  void error(const std::string& code, const std::string& message) const;

 private:
  // Records the answer in the audit log: id, plugin, command, sender, ok or the error code.
  void audit(const std::string& code) const;
  Publisher* publisher_;
  const Topics* topics_;
  std::string response_topic_;
  std::string correlation_data_;
  std::string id_;
  std::string plugin_;
  std::string name_;
};

/** A request that passed the MQTT-side checks: its payload is a JSON object. */
struct ParsedCommand {
  std::string payload_json;  // the request re-serialised
  CommandReply reply;        // id, plugin and command name, and where to answer
};

class CommandInbox {
 public:
  /** Longest plugin or command segment worth looking at; longer ones name nothing here. */
  static constexpr size_t kMaxSegment = 64;
  /** Deepest nesting of arrays and objects a request may have (checked before parsing). */
  static constexpr size_t kMaxJsonDepth = 32;
  /** Longest topic below the station root worth copying: `{plugin}/cmd/{name}`. */
  static constexpr size_t kMaxTopicTail = 2 * kMaxSegment + 5;
  /** Response topics live under the station's replies/ prefix; anything longer is not ours. */
  static constexpr size_t kMaxResponseTopic = 1024;
  static constexpr size_t kMaxCorrelationData = 1024;

  /** `{root}{plugin}/cmd/{name}` split without copying more than the limits allow; nullopt when malformed. */
  static std::optional<CommandTopic> parse_topic(std::string_view topic, std::string_view root);

  using Route = std::function<void(ParsedCommand)>;
  /** `rate` and `burst`: commands per second per sender ([mqtt] command_rate, command_burst); rate 0: no limit. */
  CommandInbox(Publisher& publisher, const Topics& topics, size_t max_payload_bytes, Route route, double rate = 0,
               double burst = 0)
      : publisher_(publisher),
        topics_(topics),
        max_payload_bytes_(max_payload_bytes),
        route_(std::move(route)),
        rate_(rate, burst) {}

  /** The filter to subscribe to. */
  [[nodiscard]] std::string filter() const { return topics_.root() + "+/cmd/+"; }
  /** Checks sizes on the received message, copies what is within them, and handles it (io thread). */
  void handle_message(const mqtt::const_message_ptr& msg);
  /** Checks one request on the io thread and routes it, or answers it with an error. */
  void handle(const InboundCommand& cmd);

 private:
  Publisher& publisher_;
  const Topics& topics_;
  size_t max_payload_bytes_;
  Route route_;
  CommandRate rate_;
};

}  // namespace kazasu
