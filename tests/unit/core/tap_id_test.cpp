#include <gtest/gtest.h>

#include <regex>

#include "core/clock.hpp"
#include "core/tap_id.hpp"

namespace kazasu {
namespace {

TEST(TapId, IsAUuidV7CarryingItsMillisecond) {
  const std::string id = new_tap_id(0x0190A1B2C3D4);
  EXPECT_TRUE(std::regex_match(id, std::regex("^0190a1b2-c3d4-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"))) << id;
}

TEST(TapId, IdsSortInTheOrderTheyWereMadeEvenWithinOneMillisecond) {
  std::string prev = new_tap_id(1700000000000);
  for (int i = 0; i < 10000; ++i) {
    const std::string next = new_tap_id(1700000000000);
    ASSERT_LT(prev, next) << "at " << i;
    prev = next;
  }
}

TEST(TapId, AClockStepBackDoesNotReorderIds) {
  const std::string a = new_tap_id(1800000000000);
  const std::string b = new_tap_id(1799999999000);
  EXPECT_LT(a, b);
}

TEST(Clock, Rfc3339CarriesTheLocalOffset) {
  ::setenv("TZ", "Asia/Tokyo", 1);
  ::tzset();
  EXPECT_EQ(clock::rfc3339(0), "1970-01-01T09:00:00.000+09:00");
  EXPECT_EQ(clock::rfc3339(1767193199999), "2025-12-31T23:59:59.999+09:00");
  EXPECT_EQ(clock::utc_offset_seconds(0), 32400);
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  EXPECT_EQ(clock::rfc3339(1767193199999), "2025-12-31T14:59:59.999+00:00");
}

}  // namespace
}  // namespace kazasu

namespace kazasu {
namespace {

TEST(Clock, ParsesRfc3339WithOffsetsAndFractions) {
  int64_t ms = 0;
  ASSERT_TRUE(clock::parse_rfc3339("1970-01-01T09:00:00+09:00", ms));
  EXPECT_EQ(ms, 0);
  ASSERT_TRUE(clock::parse_rfc3339("2025-12-31T14:59:59.999Z", ms));
  EXPECT_EQ(ms, 1767193199999);
  ASSERT_TRUE(clock::parse_rfc3339("2024-02-29T00:00:00-05:30", ms));
  EXPECT_EQ(ms, 1709184600000);
  EXPECT_FALSE(clock::parse_rfc3339("2024-02-29 00:00:00", ms));
  EXPECT_FALSE(clock::parse_rfc3339("2024-02-29T00:00:00+0900", ms));
}

TEST(Clock, OffsetShiftsTheWallClock) {
  const int64_t before = clock::now_unix_ms();
  clock::set_offset_ms(86400000);
  EXPECT_GE(clock::now_unix_ms() - before, 86400000);
  clock::set_offset_ms(0);
  EXPECT_LT(clock::now_unix_ms() - before, 86400000);
}

}  // namespace
}  // namespace kazasu
