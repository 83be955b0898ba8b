// The desk's MQTT side: one Paho client (MQTT v5) subscribed to the station's topics,
// publishing the browser's commands as requests with a response topic under replies/.
// Paho's callbacks are posted onto the io_context, so everything else is single-threaded.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>

#include "options.hpp"
#include "protocol.hpp"

namespace mqtt {
class async_client;
}

namespace kazasu::desk {

class Bridge {
 public:
  struct Handlers {
    std::function<void(bool up)> on_link;
    /** A message under the station's root (not a reply); the topic is relative to the root. */
    std::function<void(const std::string& topic, const std::string& payload, bool retained)> on_message;
    /** A message under replies/ carrying correlation data. */
    std::function<void(const std::string& correlation, const std::string& topic, const std::string& payload)> on_reply;
  };

  Bridge(boost::asio::io_context& io, const Options& options, Handlers handlers);
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  void start();
  void stop();
  [[nodiscard]] bool up() const { return up_; }
  [[nodiscard]] const std::string& root() const { return root_; }

  /**
   * Publishes `request` to {root}{plugin}/cmd/{command} with the response topic
   * {root}replies/desk-{instance}/{correlation} and `correlation` as correlation data.
   * Returns an empty string, or an error code (broker_down, publish_failed).
   */
  std::string send_command(const CommandRequest& request, const std::string& correlation);

  /** Largest MQTT payload forwarded to browsers; larger messages are dropped with a log line. */
  static constexpr std::size_t kMaxPayloadBytes = std::size_t{1} << 20;

 private:
  void connect();
  void schedule_reconnect();
  void on_connected();
  void on_lost();

  class ConnectListener;
  boost::asio::io_context& io_;
  Options options_;
  Handlers handlers_;
  std::string root_;
  std::string reply_prefix_;
  std::unique_ptr<ConnectListener> connect_listener_;
  std::unique_ptr<mqtt::async_client> client_;
  boost::asio::steady_timer retry_;
  bool up_ = false;
  bool connecting_ = false;
  bool stopping_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kazasu::desk
