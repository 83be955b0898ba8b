// Commands from facility PCs: `{plugin}/cmd/{name}` with an MQTT v5 response
// topic and correlation data. The router checks the request, runs it on the
// plugin's strand through the ABI, and answers on the response topic; every
// malformed request gets an error reply, or a log line when no reply is
// possible (no response topic, or one outside the station's replies/ prefix,
// which the broker's ACL would refuse).
#pragma once

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "dispatch/plugin_host.hpp"
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

class CommandRouter {
 public:
  /** Longest plugin or command segment worth looking at; longer ones name nothing here. */
  static constexpr size_t kMaxSegment = 64;
  /** Longest topic below the station root worth copying: `{plugin}/cmd/{name}`. */
  static constexpr size_t kMaxTopicTail = 2 * kMaxSegment + 5;
  /** Response topics live under the station's replies/ prefix; anything longer is not ours. */
  static constexpr size_t kMaxResponseTopic = 1024;
  static constexpr size_t kMaxCorrelationData = 1024;

  /** `{root}{plugin}/cmd/{name}` split without copying more than the limits allow; nullopt when malformed. */
  static std::optional<CommandTopic> parse_topic(std::string_view topic, std::string_view root);

  CommandRouter(boost::asio::io_context& io, PluginHost& plugins, Publisher& publisher, const Topics& topics,
                size_t max_payload_bytes)
      : io_(io), plugins_(plugins), publisher_(publisher), topics_(topics), max_payload_bytes_(max_payload_bytes) {}

  /** The filter to subscribe to. */
  [[nodiscard]] std::string filter() const { return topics_.root() + "+/cmd/+"; }
  /** Checks sizes on the received message, copies what is within them, and handles it (io thread). */
  void handle_message(const mqtt::const_message_ptr& msg);
  /** Handles one request on the io thread. */
  void handle(const InboundCommand& cmd);

 private:
  void reply(const InboundCommand& cmd, const std::string& plugin, const std::string& name, const std::string& id,
             const nlohmann::json* result, const std::string& code, const std::string& message);

  boost::asio::io_context& io_;
  PluginHost& plugins_;
  Publisher& publisher_;
  const Topics& topics_;
  size_t max_payload_bytes_;
};

}  // namespace kazasu
