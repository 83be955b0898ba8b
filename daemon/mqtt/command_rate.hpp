// Commands per second per facility PC. One PC in a loop (a bug, or a script
// someone left running) must not starve the others or keep the plugins'
// strands busy with work nobody waits for. Each sender gets a token bucket:
// `burst` commands at once, refilled at `rate` a second. The defaults are
// generous on purpose: an import or a resident-app backend legitimately sends
// a thousand commands in a burst; the limit is for a loop, not for work.
//
// The sender is the `{pc}` segment of the response topic
// (`{root}replies/{pc}/...`): MQTT tells kazasud nothing else about who sent
// a message (docs/audit.md). The table of senders is bounded; past it, the
// senders not seen before share one bucket.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kazasu {

class CommandRate {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxSenders = 1024;

  /** `rate` commands per second after a `burst`; rate 0 turns the limit off. */
  CommandRate(double rate, double burst) : rate_(rate), burst_(burst < 1 ? 1 : burst) {}

  /** True when `sender` may send one more command at `now`. */
  bool admit(std::string_view sender, Clock::time_point now);
  [[nodiscard]] size_t senders() const { return buckets_.size(); }
  [[nodiscard]] bool enabled() const { return rate_ > 0; }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  void refill(Bucket& b, Clock::time_point now) const;
  void forget_full(Clock::time_point now);

  double rate_;
  double burst_;
  std::unordered_map<std::string, Bucket> buckets_;
  Bucket others_{-1, {}};  // the shared bucket past kMaxSenders (tokens < 0: not started)
};

/** The `{pc}` segment of a response topic under `replies_prefix`, or "" when there is none. */
std::string_view command_sender(std::string_view response_topic, std::string_view replies_prefix);

}  // namespace kazasu
