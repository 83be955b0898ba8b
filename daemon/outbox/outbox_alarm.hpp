// Watches how many outcomes wait for the broker and reports crossings of the
// configured alarm level and cap (and the return below the alarm level).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <string>

#include "config/config.hpp"

namespace kazasu {

class OutboxAlarm {
 public:
  using Pending = std::function<int64_t()>;
  using Report = std::function<void(const std::string& state, int64_t pending, const std::string& message)>;

  OutboxAlarm(boost::asio::io_context& io, const OutboxConfig& cfg, Pending pending, Report report);
  /** One check now; the timer calls this every second. */
  void check();
  [[nodiscard]] const std::string& state() const { return state_; }

 private:
  void arm();
  boost::asio::steady_timer timer_;
  OutboxConfig cfg_;
  Pending pending_;
  Report report_;
  std::string state_ = "outbox_ok";
};

}  // namespace kazasu
