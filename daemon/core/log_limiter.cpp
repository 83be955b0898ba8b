#include "core/log_limiter.hpp"

namespace kazasu::log {

bool LineLimiter::admit(std::string_view sentence, int level, Clock::time_point now,
                        const std::function<void(const Suppressed&)>& report) {
  auto it = entries_.find(std::string(sentence));
  if (it == entries_.end()) {
    const std::string key(entries_.size() < max_sentences_ ? sentence : kOverflow);
    it = entries_.try_emplace(key, Entry{now, 0, 0, level}).first;
  }
  Entry& e = it->second;
  if (now - e.window_start >= window_) {
    if (e.suppressed > 0) report(Suppressed{it->first, e.level, e.suppressed});
    e = Entry{now, 0, 0, level};
  }
  if (e.written < burst_) {
    ++e.written;
    return true;
  }
  ++e.suppressed;
  if (level < e.level) e.level = level;  // the summary carries the most severe level seen
  return false;
}

void LineLimiter::sweep(Clock::time_point now, const std::function<void(const Suppressed&)>& report) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    if (now - e.window_start < window_) {
      ++it;
      continue;
    }
    if (e.suppressed > 0) report(Suppressed{it->first, e.level, e.suppressed});
    it = entries_.erase(it);
  }
}

}  // namespace kazasu::log
