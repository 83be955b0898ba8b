#include "bridge.hpp"

#include <unistd.h>

#include <mqtt/async_client.h>
#include <boost/asio/post.hpp>
#include <chrono>
#include <iostream>

namespace kazasu::desk {

namespace {

// Paho reports the connect's outcome on its own thread.
void log_line(const std::string& text) {
  std::cerr << "kazasu-desk: " << text << std::endl;
}

}  // namespace

class Bridge::ConnectListener : public mqtt::iaction_listener {
 public:
  explicit ConnectListener(std::function<void(bool)> done) : done_(std::move(done)) {}
  void on_success(const mqtt::token&) override { done_(true); }
  void on_failure(const mqtt::token&) override { done_(false); }

 private:
  std::function<void(bool)> done_;
};

Bridge::Bridge(boost::asio::io_context& io, const Options& options, Handlers handlers)
    : io_(io),
      options_(options),
      handlers_(std::move(handlers)),
      root_("kazasu/v1/" + options.site + "/" + options.station + "/"),
      retry_(io) {
  std::string id = options_.client_id;
  if (id.empty()) id = "kazasu-desk-" + options_.station + "-" + std::to_string(::getpid());
  reply_prefix_ = root_ + "replies/desk-" + std::to_string(::getpid()) + "/";
  client_ =
      std::make_unique<mqtt::async_client>(options_.broker, id, mqtt::create_options(MQTTVERSION_5, 100), nullptr);
  auto alive = alive_;
  auto post = [this, alive](std::function<void()> fn) {
    boost::asio::post(io_, [alive, fn = std::move(fn)] {
      if (*alive) fn();
    });
  };
  connect_listener_ = std::make_unique<ConnectListener>([post, this](bool ok) {
    post([this, ok] {
      connecting_ = false;
      if (ok) {
        on_connected();
      } else {
        schedule_reconnect();
      }
    });
  });
  client_->set_connection_lost_handler([post, this](const std::string&) { post([this] { on_lost(); }); });
  client_->set_disconnected_handler(
      [post, this](const mqtt::properties&, mqtt::ReasonCode) { post([this] { on_lost(); }); });
  client_->set_message_callback([post, this](const mqtt::const_message_ptr& msg) {
    const std::string& topic = msg->get_topic();
    if (topic.rfind(root_, 0) != 0) return;
    if (msg->get_payload().size() > kMaxPayloadBytes) {
      post([topic] { log_line("dropped a message over 1 MiB on " + topic); });
      return;
    }
    std::string relative = topic.substr(root_.size());
    std::string payload = msg->get_payload_str();
    const bool retained = msg->is_retained();
    std::string correlation;
    const auto& props = msg->get_properties();
    if (props.contains(mqtt::property::CORRELATION_DATA)) {
      correlation = mqtt::get<mqtt::binary>(props, mqtt::property::CORRELATION_DATA);
    }
    post([this, relative = std::move(relative), payload = std::move(payload), retained,
          correlation = std::move(correlation)] {
      if (relative.rfind("replies/", 0) == 0) {
        if (!correlation.empty() && handlers_.on_reply) handlers_.on_reply(correlation, relative, payload);
        return;
      }
      if (handlers_.on_message) handlers_.on_message(relative, payload, retained);
    });
  });
}

Bridge::~Bridge() {
  *alive_ = false;
  stop();
  client_.reset();  // joins Paho's threads before the listener goes
  connect_listener_.reset();
}

void Bridge::start() {
  connect();
}

void Bridge::stop() {
  if (stopping_) return;
  stopping_ = true;
  retry_.cancel();
  try {
    if (client_ && client_->is_connected())
      client_->disconnect(std::chrono::milliseconds(500))->wait_for(std::chrono::seconds(1));
  } catch (const mqtt::exception&) {
  }
}

void Bridge::connect() {
  if (connecting_ || up_ || stopping_) return;
  connecting_ = true;
  auto builder = mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_5)
                     .clean_start(true)
                     .keep_alive_interval(std::chrono::seconds(10))
                     .connect_timeout(std::chrono::seconds(5));
  mqtt::properties props;
  props.add(mqtt::property(mqtt::property::MAXIMUM_PACKET_SIZE,
                           static_cast<uint32_t>(kMaxPayloadBytes + std::size_t{64} * 1024)));
  builder.properties(props);
  if (!options_.username.empty()) builder.user_name(options_.username).password(options_.password);
  if (!options_.broker_ca_file.empty() || options_.broker.rfind("ssl://", 0) == 0 ||
      options_.broker.rfind("mqtts://", 0) == 0) {
    auto ssl = mqtt::ssl_options_builder().enable_server_cert_auth(true).verify(true);
    if (!options_.broker_ca_file.empty()) ssl.trust_store(options_.broker_ca_file.string());
    builder.ssl(ssl.finalize());
  }
  try {
    client_->connect(builder.finalize(), nullptr, *connect_listener_);
  } catch (const mqtt::exception& e) {
    connecting_ = false;
    log_line(std::string("connect failed: ") + e.what());
    schedule_reconnect();
  }
}

void Bridge::schedule_reconnect() {
  if (stopping_) return;
  retry_.expires_after(std::chrono::seconds(1));
  retry_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    connect();
  });
}

void Bridge::on_connected() {
  try {
    // Retain-as-published keeps the retained flag on live messages too, so the bridge
    // knows which ones to keep for browsers that connect later.
    client_->subscribe(root_ + "#", 1, mqtt::subscribe_options(false, true));
  } catch (const mqtt::exception& e) {
    log_line(std::string("subscribe failed: ") + e.what());
    try {
      client_->disconnect();
    } catch (const mqtt::exception&) {
    }
    schedule_reconnect();
    return;
  }
  if (!up_) {
    up_ = true;
    log_line("connected to " + options_.broker + ", subscribed to " + root_ + "#");
    if (handlers_.on_link) handlers_.on_link(true);
  }
}

void Bridge::on_lost() {
  if (up_) {
    up_ = false;
    log_line("lost the broker " + options_.broker + "; reconnecting");
    if (handlers_.on_link) handlers_.on_link(false);
  }
  if (!connecting_) schedule_reconnect();
}

std::string Bridge::send_command(const CommandRequest& request, const std::string& correlation) {
  if (!up_) return "broker_down";
  auto msg = mqtt::make_message(root_ + request.plugin + "/cmd/" + request.command, request.payload, 1, false);
  mqtt::properties props;
  props.add(mqtt::property(mqtt::property::RESPONSE_TOPIC, reply_prefix_ + correlation));
  props.add(mqtt::property(mqtt::property::CORRELATION_DATA, mqtt::binary_ref(correlation)));
  msg->set_properties(props);
  try {
    client_->publish(msg);
  } catch (const mqtt::exception& e) {
    log_line(std::string("publish failed: ") + e.what());
    return "publish_failed";
  }
  return {};
}

}  // namespace kazasu::desk
