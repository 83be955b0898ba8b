// Commands per second per facility PC, at the edges: exactly the burst, then
// the rate; one PC's loop leaves the others alone; the table of senders is
// bounded and forgets only the idle.
#include <gtest/gtest.h>

#include "mqtt/command_rate.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using Clock = CommandRate::Clock;

TEST(CommandRate, ExactlyTheBurstThenTheRate) {
  CommandRate rate(10, 100);
  const Clock::time_point t0{};
  int admitted = 0;
  for (int i = 0; i < 150; ++i) admitted += rate.admit("pc-1", t0) ? 1 : 0;
  EXPECT_EQ(admitted, 100);
  EXPECT_FALSE(rate.admit("pc-1", t0 + 99ms));  // 0.99 of a token
  EXPECT_TRUE(rate.admit("pc-1", t0 + 100ms));
  EXPECT_FALSE(rate.admit("pc-1", t0 + 100ms));
  // A second later, ten more; never more than the burst however long it waited.
  admitted = 0;
  for (int i = 0; i < 20; ++i) admitted += rate.admit("pc-1", t0 + 1100ms) ? 1 : 0;
  EXPECT_EQ(admitted, 10);
  admitted = 0;
  for (int i = 0; i < 200; ++i) admitted += rate.admit("pc-1", t0 + 1h) ? 1 : 0;
  EXPECT_EQ(admitted, 100);
}

TEST(CommandRate, OnePcInALoopLeavesTheOthersAlone) {
  CommandRate rate(5, 10);
  const Clock::time_point t0{};
  for (int i = 0; i < 1000; ++i) rate.admit("looping-pc", t0);
  EXPECT_FALSE(rate.admit("looping-pc", t0));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(rate.admit("counter-pc", t0)) << i;
}

TEST(CommandRate, RateZeroIsNoLimit) {
  CommandRate rate(0, 0);
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(rate.admit("pc", Clock::time_point{}));
  EXPECT_EQ(rate.senders(), 0u);
}

TEST(CommandRate, TheSenderTableIsBoundedAndForgetsOnlyTheIdle) {
  CommandRate rate(1, 2);
  const Clock::time_point t0{};
  for (size_t i = 0; i < CommandRate::kMaxSenders; ++i) {
    ASSERT_TRUE(rate.admit("pc-" + std::to_string(i), t0));
  }
  EXPECT_EQ(rate.senders(), CommandRate::kMaxSenders);
  // Nobody is idle yet: newcomers share one bucket of `burst`.
  EXPECT_TRUE(rate.admit("new-1", t0));
  EXPECT_TRUE(rate.admit("new-2", t0));
  EXPECT_FALSE(rate.admit("new-3", t0));
  EXPECT_EQ(rate.senders(), CommandRate::kMaxSenders);
  // After burst/rate seconds every bucket is full again: idle senders are forgotten.
  EXPECT_TRUE(rate.admit("new-4", t0 + 2s));
  EXPECT_LE(rate.senders(), 1u);
}

TEST(CommandRate, TheSenderIsThePcSegmentOfTheResponseTopic) {
  const std::string prefix = "kazasu/v1/site/st/replies/";
  EXPECT_EQ(command_sender(prefix + "desk-3/req-9", prefix), "desk-3");
  EXPECT_EQ(command_sender(prefix + "desk-3", prefix), "desk-3");
  EXPECT_EQ(command_sender("elsewhere/desk-3/x", prefix), "");
}

}  // namespace
}  // namespace kazasu
