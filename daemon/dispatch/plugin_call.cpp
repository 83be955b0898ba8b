#include "dispatch/plugin_call.hpp"

#include <boost/asio/post.hpp>

#include "dispatch/plugin_instance.hpp"

namespace kazasu {

const char* to_string(CallReason reason) {
  switch (reason) {
    case CallReason::ok:
      return "ok";
    case CallReason::plugin_error:
      return "plugin_error";
    case CallReason::timeout:
      return "timeout";
    case CallReason::storage_unavailable:
      return "storage_unavailable";
    case CallReason::command_error:
      return "command_error";
    case CallReason::busy:
      return "busy";
  }
  return "plugin_error";
}

std::shared_ptr<PluginCall> PluginCall::make(boost::asio::io_context& io, std::chrono::milliseconds budget,
                                             CallHooks hooks) {
  return std::make_shared<PluginCall>(io, budget, std::move(hooks));
}

PluginCall::PluginCall(boost::asio::io_context& io, std::chrono::milliseconds budget, CallHooks hooks)
    : io_(io), budget_(budget), hooks_(std::move(hooks)), deadline_(io) {}

bool PluginCall::claim(State s) {
  int expected = running;
  return state_.compare_exchange_strong(expected, s);
}

void PluginCall::started() {
  boost::asio::post(io_, [self = shared_from_this()] {
    self->deadline_.expires_after(self->budget_);
    self->deadline_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) self->on_deadline();
    });
  });
}

void PluginCall::on_deadline() {
  if (!claim(timed_out)) return;
  PluginResult r;
  r.reason = CallReason::timeout;
  r.message = "the plugin ran past its time budget";
  hooks_.result(std::move(r));
}

bool PluginCall::finish() {
  return claim(finished);
}

void PluginCall::complete(PluginResult result) {
  boost::asio::post(io_, [self = shared_from_this(), result = std::move(result)]() mutable {
    self->deadline_.cancel();
    if (self->hooks_.returned) self->hooks_.returned();
    // A late result was rolled back; the deadline has answered already.
    if (self->state_.load() == timed_out) return;
    self->hooks_.result(std::move(result));
  });
}

namespace {
// Every call's budget is the plugin's; a call that runs past it counts as one of its errors.
std::shared_ptr<PluginCall> make_call(boost::asio::io_context& io, PluginInstance& plugin, CallHooks hooks) {
  auto deliver = [&plugin, result = std::move(hooks.result)](PluginResult r) {
    if (r.reason == CallReason::timeout) plugin.count_error();
    result(std::move(r));
  };
  return PluginCall::make(io, std::chrono::milliseconds(plugin.budget_ms()),
                          CallHooks{std::move(deliver), std::move(hooks.returned)});
}
}  // namespace

void call_on_tap(boost::asio::io_context& io, PluginInstance& plugin, const Tap& tap, std::string token,
                 BasicInfoRead basic_info, CallHooks hooks) {
  plugin.dispatch(tap, std::move(token), std::move(basic_info), make_call(io, plugin, std::move(hooks)));
}

void call_on_command(boost::asio::io_context& io, PluginInstance& plugin, CommandRequest cmd, CallHooks hooks) {
  plugin.dispatch_command(std::move(cmd), make_call(io, plugin, std::move(hooks)));
}

void call_on_timer(boost::asio::io_context& io, PluginInstance& plugin, uint64_t timer_id, int64_t now_unix_ms,
                   CallHooks hooks) {
  plugin.dispatch_timer(timer_id, now_unix_ms, make_call(io, plugin, std::move(hooks)));
}

}  // namespace kazasu
