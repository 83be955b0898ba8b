// Grid-aligned deadlines for kazasud's periodic timers. Each timer of a given
// period expires on the same multiples of that period on the steady clock, so
// the once-a-second checks (free space, outbox alarm, log sweep, plugin
// timers, systemd STATUS=) wake an idle io thread once a second together
// rather than once each at scattered instants.
#pragma once

#include <chrono>

namespace kazasu::tick {

/** The first whole multiple of `period` on the steady clock strictly after now. */
inline std::chrono::steady_clock::time_point next(std::chrono::steady_clock::duration period) {
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  return std::chrono::steady_clock::time_point((now / period + 1) * period);
}

}  // namespace kazasu::tick
