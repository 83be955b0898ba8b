// Publishes outbox rows at QoS 1 in order and reports each PUBACK, and keeps
// the retained state topics (status, readers) current across reconnects.
//
// Paho rules (design.md): its file persistence is off because the SQLite
// outbox is the source of truth; Paho is never called from inside a Paho
// callback: every callback is posted onto the io_context, and all state here
// is touched on the io_context thread only.
#pragma once

#include <mqtt/async_client.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "mqtt/outgoing.hpp"
#include "mqtt/pending_window.hpp"

namespace kazasu {

class Publisher {
 public:
  Publisher(boost::asio::io_context& io, const MqttConfig& cfg, std::string status_topic, std::string offline_payload);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  /** Called on the io thread for every message the broker acknowledged. */
  std::function<void(const Outgoing&)> on_acked;

  void start();
  /**
   * Publishes the outbox files' rows, those left from the last run first,
   * holding at most kMaxHeld of them in memory (PendingWindow). Called once,
   * before start(); without it every enqueued row is held.
   */
  void publish_outboxes(std::vector<std::shared_ptr<OutboxStore>> stores, size_t max_held = kMaxHeld);
  static constexpr size_t kMaxHeld = 1024;
  /** Publishes `offline_payload` on the status topic and disconnects, waiting at most `timeout`. */
  void stop(const std::string& offline_payload, std::chrono::milliseconds timeout);

  /**
   * Queues an outbox row; it goes out in queue order. Once started, every
   * outcome queued is also handed to the process's OutcomeTap (`kazasuctl
   * tail`, link changes in the audit log); rows left from an earlier run,
   * queued before start(), were handed over when they were committed.
   */
  void enqueue(Outgoing msg);
  /**
   * Queues a message that has no outbox row (the disk refused it): held in
   * memory only, at most kMaxVolatile at once, and lost if kazasud stops
   * before the broker has it. Returns false, and drops it, when that many
   * are already held.
   */
  bool enqueue_volatile(Outgoing msg);
  static constexpr size_t kMaxVolatile = 1024;
  [[nodiscard]] size_t volatile_held() const { return volatile_held_; }
  [[nodiscard]] uint64_t volatile_dropped() const { return volatile_dropped_; }
  /** Sends a command reply now (QoS 1, not durable: the caller asks again if it is lost). */
  void send_reply(const std::string& topic, const std::string& payload, const std::string& correlation_data);
  /** Replies waiting for the broker at most: a burst beyond this is refused with a log line. */
  static constexpr size_t kMaxQueuedReplies = 4096;
  /**
   * Subscribes to `filter` on every connection; `handler` gets each message on
   * the io thread.
   */
  void subscribe(const std::string& filter, std::function<void(mqtt::const_message_ptr)> handler);

  /** Sets a retained state topic; sent now if connected and again after every reconnect. */
  void set_retained(const std::string& topic, const std::string& payload);

  [[nodiscard]] bool connected() const { return connected_; }
  /** Outcomes not yet acknowledged: held in memory and waiting on disk. */
  [[nodiscard]] size_t queued() const { return held() + on_disk(); }
  [[nodiscard]] size_t held() const { return unsent_.size() + inflight_.size() + retry_.size(); }
  [[nodiscard]] size_t on_disk() const { return window_ ? static_cast<size_t>(window_->on_disk()) : 0; }

 private:
  void connect();
  void make_client();
  void schedule_reconnect();
  void on_connected(bool session_present);
  void on_connection_lost(const std::string& cause);
  void pump();
  void refill();
  void send_retained(const std::string& topic, const std::string& payload);
  void pump_replies();

  class Listener;
  std::unique_ptr<Listener> connect_listener_;
  std::unique_ptr<Listener> publish_listener_;
  std::unique_ptr<Listener> reply_listener_;

  boost::asio::io_context& io_;
  MqttConfig cfg_;
  std::string status_topic_;
  std::string will_;
  std::unique_ptr<mqtt::async_client> client_;
  boost::asio::steady_timer reconnect_timer_;
  std::chrono::milliseconds backoff_{250};
  bool connected_ = false;
  bool connecting_ = false;
  bool stopping_ = false;
  bool started_ = false;
  bool used_ = false;        // the current client has tried a connection: the next try gets a new one
  uint64_t generation_ = 0;  // of the current client; callbacks of older ones are dropped
  uint64_t next_local_id_ = 0;
  size_t volatile_held_ = 0;
  // Command replies: not durable, but paced like outcomes (Paho refuses a
  // burst of more than ~100 queued publishes) and bounded.
  struct Reply {
    std::string topic, payload, correlation_data;
  };
  std::deque<Reply> replies_;
  size_t replies_inflight_ = 0;
  uint64_t volatile_dropped_ = 0;
  std::deque<Outgoing> unsent_;
  std::optional<PendingWindow> window_;
  std::map<uint64_t, Outgoing> inflight_;  // ordered by send order
  std::map<uint64_t, Outgoing> retry_;     // failed sends, to go out first, in send order
  std::map<std::string, std::string> retained_;
  std::string filter_;
  std::function<void(mqtt::const_message_ptr)> on_message_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kazasu
