// Rate limit for repeated log lines. Lines are grouped by their sentence (the
// message before the key=value fields): each sentence may be written `burst`
// times per window; the rest are counted, and the count is written once the
// window has passed ("log lines suppressed ... count=N"). A flood of one
// failure (7 million identical accept errors in 6 s) then costs a few lines,
// while other sentences still get through. The table of sentences is bounded;
// past it, unseen sentences share one entry.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kazasu::log {

class LineLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  struct Suppressed {
    std::string sentence;
    int level = 0;
    uint64_t count = 0;
  };

  LineLimiter(uint32_t burst, std::chrono::milliseconds window, size_t max_sentences)
      : burst_(burst), window_(window), max_sentences_(max_sentences) {}

  /**
   * True when a line with this sentence may be written now. `report` gets
   * the count suppressed in the sentence's previous window, if any, first.
   */
  bool admit(std::string_view sentence, int level, Clock::time_point now,
             const std::function<void(const Suppressed&)>& report);
  /** Reports every finished window that suppressed lines and forgets idle sentences. */
  void sweep(Clock::time_point now, const std::function<void(const Suppressed&)>& report);
  [[nodiscard]] size_t sentences() const { return entries_.size(); }

  static constexpr std::string_view kOverflow = "(other repeated lines)";

 private:
  struct Entry {
    Clock::time_point window_start;
    uint32_t written = 0;
    uint64_t suppressed = 0;
    int level = 0;
  };
  uint32_t burst_;
  std::chrono::milliseconds window_;
  size_t max_sentences_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace kazasu::log
