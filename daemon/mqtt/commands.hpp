// Commands from facility PCs: `{plugin}/cmd/{name}` with an MQTT v5 response
// topic and correlation data. The router checks the request, runs it on the
// plugin's strand through the ABI, and answers on the response topic; every
// malformed request gets an error reply, or a log line when no reply is
// possible (no response topic, or one outside the station's replies/ prefix,
// which the broker's ACL would refuse).
#pragma once

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "dispatch/plugin_host.hpp"
#include "mqtt/publisher.hpp"
#include "mqtt/topics.hpp"

namespace kazasu {

struct InboundCommand {
  std::string topic;
  std::string payload;
  std::string response_topic;    // empty when the request had none
  std::string correlation_data;  // echoed as given (binary)
};

class CommandRouter {
 public:
  CommandRouter(boost::asio::io_context& io, PluginHost& plugins, Publisher& publisher, const Topics& topics,
                size_t max_payload_bytes)
      : io_(io), plugins_(plugins), publisher_(publisher), topics_(topics), max_payload_bytes_(max_payload_bytes) {}

  /** The filter to subscribe to. */
  [[nodiscard]] std::string filter() const { return topics_.root() + "+/cmd/+"; }
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
