#include "dispatch/timer_service.hpp"

#include "core/clock.hpp"
#include "core/log.hpp"

namespace kazasu {
namespace {
// Timers are for day and shift boundaries, not for tap latency.
constexpr std::chrono::milliseconds kTick{200};
}  // namespace

TimerService::TimerService(boost::asio::io_context& io, PluginHost& plugins, Publisher& publisher)
    : io_(io), plugins_(plugins), publisher_(publisher), ticker_(io) {
  arm();
}

void TimerService::stop() {
  ticker_.cancel();
}

void TimerService::arm() {
  ticker_.expires_after(kTick);
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
      auto run = std::make_shared<TapRun>();
      auto deadline = std::make_shared<boost::asio::steady_timer>(io_);
      auto started = [p, run, deadline, id] {
        deadline->expires_after(std::chrono::milliseconds(p->budget_ms()));
        deadline->async_wait([p, run, id](const boost::system::error_code& ec) {
          if (ec || !run->claim(TapRun::timed_out)) return;
          p->count_error();
          log::error("plugin timer ran past its time budget", "plugin", p->name(), "timer", id);
        });
      };
      auto done = [this, p, deadline, id](PluginResult r) {
        deadline->cancel();
        if (r.ok) {
          for (auto& o : r.committed) publisher_.enqueue(std::move(o));
          return;
        }
        if (r.reason == "timeout") return;
        p->count_error();
        log::error("plugin timer failed", "plugin", p->name(), "timer", id, "reason", r.reason, "detail", r.message);
      };
      p->dispatch_timer(id, now, run, io_, std::move(started), std::move(done));
    }
  }
}

}  // namespace kazasu
