// Repeated log lines are rate-limited per sentence, and what was suppressed
// is counted and reported once the window has passed.
#include <gtest/gtest.h>

#include <vector>

#include "core/log.hpp"
#include "core/log_limiter.hpp"

namespace kazasu::log {
namespace {

using namespace std::chrono_literals;
using Clock = LineLimiter::Clock;

struct Reports {
  std::vector<LineLimiter::Suppressed> seen;
  std::function<void(const LineLimiter::Suppressed&)> fn() {
    return [this](const LineLimiter::Suppressed& s) { seen.push_back(s); };
  }
};

TEST(LineLimiter, WritesTheBurstThenSuppressesTheSameSentence) {
  LineLimiter limiter(3, 10s, 16);
  Reports r;
  const auto t0 = Clock::now();
  int written = 0;
  for (int i = 0; i < 1000; ++i) written += limiter.admit("accept failed", 4, t0 + i * 1ms, r.fn()) ? 1 : 0;
  EXPECT_EQ(written, 3);
  EXPECT_TRUE(r.seen.empty());
}

TEST(LineLimiter, OtherSentencesStillGetThrough) {
  LineLimiter limiter(2, 10s, 16);
  Reports r;
  const auto t0 = Clock::now();
  for (int i = 0; i < 100; ++i) limiter.admit("flood", 4, t0, r.fn());
  EXPECT_TRUE(limiter.admit("tap", 6, t0, r.fn()));
}

TEST(LineLimiter, ReportsTheSuppressedCountWhenTheWindowHasPassed) {
  LineLimiter limiter(2, 10s, 16);
  Reports r;
  const auto t0 = Clock::now();
  for (int i = 0; i < 7; ++i) limiter.admit("flood", 4, t0, r.fn());
  limiter.sweep(t0 + 5s, r.fn());
  EXPECT_TRUE(r.seen.empty()) << "the window is still open";
  limiter.sweep(t0 + 10s, r.fn());
  ASSERT_EQ(r.seen.size(), 1u);
  EXPECT_EQ(r.seen[0].sentence, "flood");
  EXPECT_EQ(r.seen[0].count, 5u);
  EXPECT_EQ(r.seen[0].level, 4);
  EXPECT_EQ(limiter.sentences(), 0u) << "a finished window is forgotten";
}

TEST(LineLimiter, ANewWindowReportsThePreviousOneAndWritesAgain) {
  LineLimiter limiter(1, 10s, 16);
  Reports r;
  const auto t0 = Clock::now();
  limiter.admit("flood", 3, t0, r.fn());
  limiter.admit("flood", 3, t0 + 1s, r.fn());
  EXPECT_TRUE(limiter.admit("flood", 3, t0 + 11s, r.fn()));
  ASSERT_EQ(r.seen.size(), 1u);
  EXPECT_EQ(r.seen[0].count, 1u);
}

TEST(LineLimiter, TheTableOfSentencesIsBounded) {
  LineLimiter limiter(1, 10s, 4);
  Reports r;
  const auto t0 = Clock::now();
  int written = 0;
  for (int i = 0; i < 1000; ++i) written += limiter.admit("line " + std::to_string(i), 4, t0, r.fn()) ? 1 : 0;
  EXPECT_LE(limiter.sentences(), 5u);
  EXPECT_EQ(written, 5) << "four sentences and one shared overflow entry";
}

TEST(LogValues, ControlBytesAreEscapedSoNoValueCanForgeALine) {
  std::string out;
  detail::append_value(out, "a\nb\rc\x1b[0m");
  EXPECT_EQ(out, "\"a\\nb\\x0dc\\x1b[0m\"");
}

}  // namespace
}  // namespace kazasu::log
