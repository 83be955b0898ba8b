// One call into a plugin (a tap, a command or a timer) and its deadline. The
// time budget counts from the moment the plugin's callback starts, not from
// when the call was queued; when it runs out, the call is answered with
// CallReason::timeout at once and the plugin's late result is rolled back and
// dropped. A compare-and-swap on the call's state decides which came first, so
// every call delivers exactly one result, on the io thread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tap.hpp"
#include "identify/basic_four.hpp"
#include "mqtt/outgoing.hpp"

namespace kazasu {

class PluginInstance;

/** Why a call ended; to_string() gives the code outcomes and replies carry. */
enum class CallReason {
  ok,
  plugin_error,         // the plugin failed, threw, or answered badly
  timeout,              // the time budget ran out first
  storage_unavailable,  // the disk refused the transaction (full, I/O error)
  command_error,        // a command the plugin refused with its own code (PluginResult::code)
  busy,                 // the plugin's job queue was full: answered at once, never queued
};
const char* to_string(CallReason reason);

/** What a plugin made of one tap, command or timer, delivered on the io thread. */
struct PluginResult {
  CallReason reason = CallReason::plugin_error;
  std::string code;  // command_error: the plugin's own code
  std::string message;
  std::vector<Outgoing> committed;  // outbox rows now durable, in publish order
  std::string reply_json = "{}";    // commands: the `result` when ok
  // Shared claims the call made (key, claim id): released when its commit fails.
  std::vector<std::pair<std::string, std::string>> shared_claims;
  int64_t shared_appended = 0;  // entries queued for the engine by this call

  [[nodiscard]] bool ok() const { return reason == CallReason::ok; }
  /** The error code as published: the plugin's own for command_error, else the reason's name. */
  [[nodiscard]] std::string error_code() const {
    return reason == CallReason::command_error ? code : to_string(reason);
  }
};

/** A command as the plugin host receives it from the MQTT side. */
struct CommandRequest {
  std::string id;  // UUIDv7 given by the host
  std::string name;
  std::string payload_json;
};

/** Where a call's result goes (both on the io thread). */
struct CallHooks {
  /** Exactly once: the plugin's result, or the timeout when the budget ran out first. */
  std::function<void(PluginResult)> result;
  /** Optional: once the plugin's callback has returned (after `result` when it timed out). */
  std::function<void()> returned;
};

class PluginCall : public std::enable_shared_from_this<PluginCall> {
 public:
  /** Made on the io thread; the deadline is armed when the plugin starts. */
  static std::shared_ptr<PluginCall> make(boost::asio::io_context& io, std::chrono::milliseconds budget,
                                          CallHooks hooks);
  PluginCall(boost::asio::io_context& io, std::chrono::milliseconds budget, CallHooks hooks);

  // Called by the plugin's strand.
  /** The plugin's callback begins: arms the deadline on the io thread. */
  void started();
  /** Claims the call for the plugin; false when the deadline had it first (then roll back). */
  bool finish();
  /** Hands the plugin's result to the io thread; it is delivered unless the deadline had the call. */
  void complete(PluginResult result);

 private:
  enum State : int { running = 0, finished = 1, timed_out = 2 };
  bool claim(State s);
  void on_deadline();

  boost::asio::io_context& io_;
  std::chrono::milliseconds budget_;
  CallHooks hooks_;
  boost::asio::steady_timer deadline_;
  std::atomic<int> state_{running};
};

/** Runs the plugin's on_tap with its budget (call on the io thread). */
void call_on_tap(boost::asio::io_context& io, PluginInstance& plugin, const Tap& tap, std::string token,
                 BasicInfoRead basic_info, CallHooks hooks);
/** Runs the plugin's on_command with its budget (call on the io thread). */
void call_on_command(boost::asio::io_context& io, PluginInstance& plugin, CommandRequest cmd, CallHooks hooks);
/** Runs the plugin's on_timer with its budget (call on the io thread). */
void call_on_timer(boost::asio::io_context& io, PluginInstance& plugin, uint64_t timer_id, int64_t now_unix_ms,
                   CallHooks hooks);

}  // namespace kazasu
