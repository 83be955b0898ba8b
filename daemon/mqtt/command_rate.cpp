#include "mqtt/command_rate.hpp"

#include <algorithm>

namespace kazasu {

void CommandRate::refill(Bucket& b, Clock::time_point now) const {
  const double seconds = std::chrono::duration<double>(now - b.at).count();
  if (seconds > 0) b.tokens = std::min(burst_, b.tokens + seconds * rate_);
  b.at = now;
}

// A sender whose bucket is full again has sent nothing for burst/rate
// seconds: forgetting it loses nothing, it starts full when it returns.
void CommandRate::forget_full(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
  }
}

bool CommandRate::admit(std::string_view sender, Clock::time_point now) {
  if (!enabled()) return true;
  auto it = buckets_.find(std::string(sender));
  Bucket* b = nullptr;
  if (it != buckets_.end()) {
    b = &it->second;
  } else {
    if (buckets_.size() >= kMaxSenders) forget_full(now);
    if (buckets_.size() < kMaxSenders) {
      b = &buckets_.emplace(std::string(sender), Bucket{burst_, now}).first->second;
    } else {
      if (others_.tokens < 0) others_ = Bucket{burst_, now};
      b = &others_;
    }
  }
  refill(*b, now);
  if (b->tokens < 1) return false;
  b->tokens -= 1;
  return true;
}

std::string_view command_sender(std::string_view response_topic, std::string_view replies_prefix) {
  if (response_topic.substr(0, replies_prefix.size()) != replies_prefix) return {};
  std::string_view rest = response_topic.substr(replies_prefix.size());
  return rest.substr(0, rest.find('/'));
}

}  // namespace kazasu
