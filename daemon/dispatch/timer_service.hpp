// Fires plugins' one-shot timers (host->set_timer) against the host's clock,
// which tests may shift: a ticker on the io thread looks for due timers
// rather than sleeping until a due time that a clock change would make wrong.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "dispatch/plugin_host.hpp"
#include "mqtt/publisher.hpp"

namespace kazasu {

class TimerService {
 public:
  TimerService(boost::asio::io_context& io, PluginHost& plugins, Publisher& publisher);
  void stop();

 private:
  void tick();
  void arm();

  boost::asio::io_context& io_;
  PluginHost& plugins_;
  Publisher& publisher_;
  boost::asio::steady_timer ticker_;
};

}  // namespace kazasu
