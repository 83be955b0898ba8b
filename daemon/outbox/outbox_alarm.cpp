#include "outbox/outbox_alarm.hpp"

#include "core/log.hpp"
#include "core/tick.hpp"

namespace kazasu {

OutboxAlarm::OutboxAlarm(boost::asio::io_context& io, const OutboxConfig& cfg, Pending pending, Report report)
    : timer_(io), cfg_(cfg), pending_(std::move(pending)), report_(std::move(report)) {
  arm();
}

void OutboxAlarm::arm() {
  timer_.expires_at(tick::next(std::chrono::seconds(1)));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    check();
    arm();
  });
}

void OutboxAlarm::check() {
  const int64_t pending = pending_();
  const int64_t alarm_at = cfg_.cap * cfg_.alarm_percent / 100;
  std::string state = "outbox_ok";
  if (pending >= cfg_.cap) {
    state = "outbox_full";
  } else if (pending >= alarm_at) {
    state = "outbox_near_cap";
  }
  if (state == state_) return;
  state_ = state;
  std::string message;
  if (state == "outbox_full") {
    message = std::to_string(pending) + " outcomes wait for the broker, at or over the cap of " +
              std::to_string(cfg_.cap) + "; taps are still accepted while the disk has room";
    log::error("outbox at its cap", "pending", pending, "cap", cfg_.cap);
  } else if (state == "outbox_near_cap") {
    message = std::to_string(pending) + " outcomes wait for the broker; the cap is " + std::to_string(cfg_.cap);
    log::warning("outbox near its cap", "pending", pending, "cap", cfg_.cap);
  } else {
    message = "the outbox is back under its alarm level";
    log::notice("outbox back to normal", "pending", pending, "cap", cfg_.cap);
  }
  report_(state, pending, message);
}

}  // namespace kazasu
