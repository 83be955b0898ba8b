#include "dispatch/timer_service.hpp"

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/tick.hpp"
#include "dispatch/plugin_call.hpp"

namespace kazasu {
namespace {
// Timers are for day and shift boundaries, not for tap latency: a timer fires
// within a second of its due time, on the tick the io thread's other
// once-a-second checks share (core/tick.hpp), so an idle station wakes once.
constexpr std::chrono::seconds kTick{1};
}  // namespace

TimerService::TimerService(boost::asio::io_context& io, PluginHost& plugins, Publisher& publisher)
    : io_(io), plugins_(plugins), publisher_(publisher), ticker_(io) {
  arm();
}

void TimerService::stop() {
  ticker_.cancel();
}

void TimerService::arm() {
  ticker_.expires_at(tick::next(kTick));
  ticker_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    tick();
    arm();
  });
}

void TimerService::tick() {
  const int64_t now = clock::now_unix_ms();
  for (const auto& plugin : plugins_.plugins()) {
    PluginInstance* p = plugin.get();
    for (uint64_t id : p->take_due_timers(now)) {
      auto result = [this, p, id](PluginResult r) {
        switch (r.reason) {
          case CallReason::ok:
            for (auto& o : r.committed) publisher_.enqueue(std::move(o));
            return;
          case CallReason::timeout:
            log::error("plugin timer ran past its time budget", "plugin", p->name(), "timer", id);
            return;
          default:
            p->count_error();
            log::error("plugin timer failed", "plugin", p->name(), "timer", id, "reason", r.error_code(), "detail",
                       r.message);
        }
      };
      call_on_timer(io_, *p, id, now, CallHooks{std::move(result), nullptr});
    }
  }
}

}  // namespace kazasu
