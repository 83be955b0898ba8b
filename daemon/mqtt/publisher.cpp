#include "mqtt/publisher.hpp"

#include "mqtt/broker_errors.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <random>

#include "core/log.hpp"
#include "service/outcome_tap.hpp"

namespace kazasu {
namespace {
// Messages in flight at once: enough to keep the link busy, few enough that a
// reconnect resends little.
constexpr size_t kWindow = 64;
constexpr std::chrono::milliseconds kMaxBackoff{30000};

int max_packet_bytes(const MqttConfig& cfg) {
  constexpr size_t kHeadroom = size_t{64} * 1024;  // topic, properties, correlation data
  const size_t bytes = std::max<size_t>(cfg.max_command_bytes * 4, size_t{256} * 1024) + kHeadroom;
  return static_cast<int>(std::min<size_t>(bytes, size_t{256} * 1024 * 1024));
}
}  // namespace

class Publisher::Listener : public mqtt::iaction_listener {
 public:
  using Handler = std::function<void(bool ok, const mqtt::token& tok)>;
  explicit Listener(Handler h) : handler_(std::move(h)) {}
  void on_success(const mqtt::token& tok) override { handler_(true, tok); }
  void on_failure(const mqtt::token& tok) override { handler_(false, tok); }

 private:
  Handler handler_;
};

Publisher::Publisher(boost::asio::io_context& io, const MqttConfig& cfg, std::string status_topic,
                     std::string offline_payload)
    : io_(io), cfg_(cfg), status_topic_(std::move(status_topic)), reconnect_timer_(io) {
  will_ = std::move(offline_payload);
  make_client();
}

// A Paho client for one connection. After a lost connection kazasud does not
// let Paho resume: with a kept session, Paho 1.3.12 sometimes resent (and even
// first-sent) in-flight messages from memory it had freed across the
// reconnect, and the broker dropped the station for a malformed packet on
// every try, so nothing left it again until a restart (tests/faults/service,
// BrokerKilled). A fresh client holds no such state; what was in flight goes
// out again from our own copies (on_connected), which QoS 1 allows.
void Publisher::make_client() {
  const uint64_t generation = ++generation_;
  // The old client goes first: that joins its threads, so none of its
  // callbacks runs after its listeners are replaced.
  client_.reset();
  // No Paho persistence: the outbox is the only durable copy.
  client_ = std::make_unique<mqtt::async_client>(cfg_.uri, cfg_.client_id,
                                                 // Room for both windows and the retained topics, with margin.
                                                 mqtt::create_options(MQTTVERSION_5, 1024), nullptr);
  std::weak_ptr<bool> alive = alive_;
  // Callbacks of a client replaced since are dropped on the io thread.
  auto post = [this, alive, generation](auto fn) {
    boost::asio::post(io_, [this, alive, generation, fn = std::move(fn)]() {
      if (alive.lock() && generation == generation_) fn();
    });
  };
  client_->set_connection_lost_handler(
      [this, post](const std::string& cause) { post([this, cause] { on_connection_lost(cause); }); });
  client_->set_message_callback([this, post](const mqtt::const_message_ptr& msg) {
    post([this, msg] {
      if (on_message_) on_message_(msg);
    });
  });
  // Paho references the listeners for the life of each operation; they live
  // as long as the client does.
  connect_listener_ = std::make_unique<Listener>([this, post](bool ok, const mqtt::token& tok) {
    const int rc = tok.get_return_code();
    const int reason = static_cast<int>(tok.get_reason_code());
    bool session_present = false;
    if (ok) {
      try {
        session_present = tok.get_connect_response().is_session_present();
      } catch (const std::exception&) {  // no CONNACK details: treat as a fresh session
      }
    }
    post([this, ok, rc, reason, session_present] {
      connecting_ = false;
      if (ok) {
        on_connected(session_present);
      } else {
        log::warning("broker connection failed", "uri", cfg_.uri, "reason", broker_failure_words(rc, reason), "rc", rc);
        schedule_reconnect();
      }
    });
  });
  publish_listener_ = std::make_unique<Listener>([this, post](bool ok, const mqtt::token& tok) {
    const auto local_id = reinterpret_cast<uintptr_t>(tok.get_user_context());
    post([this, ok, local_id] {
      auto it = inflight_.find(local_id);
      if (it == inflight_.end()) return;  // requeued after a reconnect; a newer copy is on its way
      if (!ok) {
        // Paho gave up on it and will not send it again: it goes out again
        // ahead of newer messages, keeping the original order.
        retry_.emplace(local_id, std::move(it->second));
        inflight_.erase(it);
        pump();
        return;
      }
      Outgoing done = std::move(it->second);
      inflight_.erase(it);
      if (!done.store) {
        --volatile_held_;  // held in memory only: nothing to delete
        pump();
        return;
      }
      if (on_acked) on_acked(done);
      pump();
    });
  });

  reply_listener_ = std::make_unique<Listener>([this, post](bool, const mqtt::token&) {
    // Delivered or given up by Paho: either way its slot in the window is free.
    post([this] {
      if (replies_inflight_ > 0) --replies_inflight_;
      pump_replies();
    });
  });
}

Publisher::~Publisher() {
  *alive_ = false;
  alive_.reset();
  client_.reset();  // joins Paho's threads before the listeners go
}

void Publisher::start() {
  started_ = true;
  connect();
}

void Publisher::connect() {
  if (connecting_ || connected_ || stopping_) return;
  if (used_) make_client();
  used_ = true;
  connecting_ = true;
  auto builder = mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_5)
                     .keep_alive_interval(std::chrono::seconds(cfg_.keepalive_s))
                     .connect_timeout(std::chrono::seconds(5))
                     .will(mqtt::message(status_topic_, will_, 1, true));
  // A session that outlives a short disconnect keeps our command subscription,
  // so commands sent meanwhile are delivered when we are back.
  builder.clean_start(cfg_.session_expiry_s == 0);
  mqtt::properties props;
  if (cfg_.session_expiry_s > 0) {
    props.add(mqtt::property(mqtt::property::SESSION_EXPIRY_INTERVAL, cfg_.session_expiry_s));
  }
  // The broker must not hand us a packet larger than this (MQTT v5 3.1.2.11.4):
  // a command a little over max_command_bytes still reaches the router and gets
  // its payload_too_large reply; a huge one is never read into memory here.
  props.add(mqtt::property(mqtt::property::MAXIMUM_PACKET_SIZE, max_packet_bytes(cfg_)));
  builder.properties(props);
  if (!cfg_.username.empty()) builder.user_name(cfg_.username).password(cfg_.password);
  if (!cfg_.ca_file.empty() || !cfg_.cert_file.empty()) {
    auto ssl = mqtt::ssl_options_builder().enable_server_cert_auth(true).verify(true);
    if (!cfg_.ca_file.empty()) ssl.trust_store(cfg_.ca_file.string());
    if (!cfg_.cert_file.empty()) ssl.key_store(cfg_.cert_file.string()).private_key(cfg_.key_file.string());
    ssl.error_handler([](const std::string& msg) { log::warning("TLS error", "detail", msg); });
    builder.ssl(ssl.finalize());
  }
  // `builder` must outlive the connect call: Debian's Paho C++ (1.2) copies
  // connect_options with the connect properties still pointing into the builder's.
  auto opts = builder.finalize();
  try {
    client_->connect(opts, nullptr, *connect_listener_);
  } catch (const mqtt::exception& e) {
    connecting_ = false;
    log::warning("broker connect refused", "uri", cfg_.uri, "error", e.what());
    schedule_reconnect();
  }
}

void Publisher::schedule_reconnect() {
  if (stopping_) return;
  // Jitter spreads the reconnects of many stations after a broker restart.
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  const auto delay =
      std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(backoff_.count()) * jitter(rng)));
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    if (!ec && alive.lock()) connect();
  });
}

void Publisher::on_connected(bool session_present) {
  connected_ = true;
  backoff_ = std::chrono::milliseconds(250);
  log::info("broker connected", "uri", cfg_.uri, "queued", queued(), "session_present", session_present);
  // Every connection has a fresh client (make_client), so nothing in flight
  // before is Paho's to resend: send it again ourselves, in its order.
  for (auto& [id, m] : inflight_) retry_.emplace(id, std::move(m));
  inflight_.clear();
  // Subscribe first: the broker handles one connection's packets in order, so
  // whoever sees our status online can already send us commands.
  if (!filter_.empty()) {
    try {
      client_->subscribe(filter_, 1);
    } catch (const mqtt::exception& e) {
      log::warning("subscribe failed", "filter", filter_, "error", e.what());
    }
  }
  for (const auto& [topic, payload] : retained_) send_retained(topic, payload);
  replies_inflight_ = 0;  // a fresh client: the window starts afresh
  pump();
  pump_replies();
}

void Publisher::on_connection_lost(const std::string& cause) {
  if (!connected_) return;
  connected_ = false;
  // What is in flight stays in inflight_ until the next connection, which
  // sends it again from a fresh client (on_connected).
  log::warning("broker connection lost", "uri", cfg_.uri, "cause", cause.empty() ? "unknown" : cause, "queued",
               queued());
  schedule_reconnect();
}

void Publisher::publish_outboxes(std::vector<std::shared_ptr<OutboxStore>> stores, size_t max_held) {
  window_.emplace(std::move(stores), max_held);
  if (window_->on_disk() > 0) log::notice("publishing outcomes left from the last run", "count", window_->on_disk());
  refill();
}

void Publisher::enqueue(Outgoing msg) {
  if (started_) OutcomeTap::process().publish(msg.topic, msg.payload, msg.retained);
  if (window_ && msg.store && !window_->admit(msg, unsent_.size())) return;
  unsent_.push_back(std::move(msg));
  pump();
}

// Tops the held rows up from the outbox files once half have gone out, so
// reading is in batches, not a query per PUBACK.
void Publisher::refill() {
  if (!window_ || !window_->spilled() || unsent_.size() > window_->cap() / 2) return;
  try {
    for (auto& m : window_->read(window_->cap() - unsent_.size())) unsent_.push_back(std::move(m));
  } catch (const std::exception& e) {
    // The rows stay in their files; the next PUBACK or tap tries again.
    log::error("reading the outbox failed", "error", e.what());
  }
}

bool Publisher::enqueue_volatile(Outgoing msg) {
  msg.store.reset();
  if (volatile_held_ >= kMaxVolatile) {
    ++volatile_dropped_;
    log::error("outcome dropped: too many held in memory while the disk refuses writes", "topic", msg.topic, "held",
               volatile_held_);
    return false;
  }
  ++volatile_held_;
  if (started_) OutcomeTap::process().publish(msg.topic, msg.payload, msg.retained);
  unsent_.push_back(std::move(msg));
  pump();
  return true;
}

void Publisher::pump() {
  refill();
  while (connected_ && !retry_.empty()) {
    unsent_.push_front(std::move(std::prev(retry_.end())->second));
    retry_.erase(std::prev(retry_.end()));
  }
  while (connected_ && !unsent_.empty() && inflight_.size() < kWindow) {
    const uint64_t local_id = ++next_local_id_;
    Outgoing& m = unsent_.front();
    auto msg = mqtt::make_message(m.topic, m.payload, 1, m.retained);
    try {
      // Paho carries the outbox id back to the listener as its opaque context pointer.
      client_->publish(msg,
                       reinterpret_cast<void*>(static_cast<uintptr_t>(local_id)),  // NOLINT(performance-no-int-to-ptr)
                       *publish_listener_);
    } catch (const mqtt::exception& e) {
      log::warning("publish failed", "topic", m.topic, "error", e.what());
      return;  // stays at the front; the connection-lost path will retry
    }
    inflight_.emplace(local_id, std::move(m));
    unsent_.pop_front();
  }
}

void Publisher::subscribe(const std::string& filter, std::function<void(mqtt::const_message_ptr)> handler) {
  filter_ = filter;
  on_message_ = std::move(handler);
}

void Publisher::send_reply(const std::string& topic, const std::string& payload, const std::string& correlation_data) {
  if (replies_.size() >= kMaxQueuedReplies) {
    log::warning("command reply dropped: too many replies waiting for the broker", "topic", topic, "waiting",
                 replies_.size());
    return;
  }
  replies_.push_back(Reply{topic, payload, correlation_data});
  pump_replies();
}

void Publisher::pump_replies() {
  constexpr size_t kReplyWindow = 32;
  while (connected_ && !replies_.empty() && replies_inflight_ < kReplyWindow) {
    const Reply& r = replies_.front();
    auto msg = mqtt::make_message(r.topic, r.payload, 1, false);
    if (!r.correlation_data.empty()) {
      mqtt::properties props;
      props.add(mqtt::property(mqtt::property::CORRELATION_DATA, mqtt::binary_ref(r.correlation_data)));
      msg->set_properties(props);
    }
    try {
      client_->publish(msg, nullptr, *reply_listener_);
    } catch (const mqtt::exception& e) {
      log::warning("command reply failed", "topic", r.topic, "error", e.what());
      return;  // stays queued; the next delivery or reconnect tries again
    }
    ++replies_inflight_;
    replies_.pop_front();
  }
}

void Publisher::set_retained(const std::string& topic, const std::string& payload) {
  retained_[topic] = payload;
  if (connected_) send_retained(topic, payload);
}

void Publisher::send_retained(const std::string& topic, const std::string& payload) {
  try {
    client_->publish(mqtt::make_message(topic, payload, 1, true));
  } catch (const mqtt::exception& e) {
    log::warning("retained publish failed", "topic", topic, "error", e.what());
  }
}

void Publisher::stop(const std::string& offline_payload, std::chrono::milliseconds timeout) {
  stopping_ = true;
  reconnect_timer_.cancel();
  if (!connected_) return;
  try {
    auto tok = client_->publish(mqtt::make_message(status_topic_, offline_payload, 1, true));
    tok->wait_for(timeout / 2);
    client_->disconnect()->wait_for(timeout / 2);
  } catch (const mqtt::exception& e) {
    log::warning("clean disconnect failed", "error", e.what());
  }
  connected_ = false;
}

}  // namespace kazasu
