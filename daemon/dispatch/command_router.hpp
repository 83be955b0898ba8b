// Commands, the dispatch side: a request the MQTT inbox (mqtt/commands.hpp)
// found well formed is routed to its plugin's on_command, on the plugin's
// strand, in a transaction like a tap and with the same time budget; the
// reply goes back through the request's CommandReply.
#pragma once

#include <boost/asio/io_context.hpp>

#include "dispatch/plugin_host.hpp"
#include "mqtt/commands.hpp"
#include "mqtt/publisher.hpp"

namespace kazasu {

class CommandRouter {
 public:
  CommandRouter(boost::asio::io_context& io, PluginHost& plugins, Publisher& publisher)
      : io_(io), plugins_(plugins), publisher_(publisher) {}

  /** Runs one request on its plugin, or answers unknown_plugin / unknown_command (io thread). */
  void route(ParsedCommand cmd);

 private:
  boost::asio::io_context& io_;
  PluginHost& plugins_;
  Publisher& publisher_;
};

}  // namespace kazasu
