// The earning limits as pure functions of an account's entries.
#include "caps.hpp"

#include <gtest/gtest.h>

namespace kazasu::points {
namespace {

using nlohmann::json;

LedgerEntry award(const std::string& id, int64_t amount, const std::string& day, bool offline, int64_t cap = 0,
                  int64_t per_day = 1) {
  json body{{"kind", "visit"}, {"facility", "library"}, {"day", day}, {"fy", 2027}, {"cap", cap}, {"per_day", per_day}};
  if (offline) body["offline"] = true;
  return LedgerEntry{id + ":cr", body, amount, "test/s", 0, false};
}

TEST(PointsCaps, AnOfflineVisitAfterAnOnlineOneTheSameDayKeepsNothing) {
  // Newest first, as the engine lists them: the offline visit arrived after the online one.
  const std::vector<LedgerEntry> entries = {award("off", 10, "2027-04-05", true), award("on", 10, "2027-04-05", false)};
  EXPECT_EQ(visits_on(entries, "library", "2027-04-05"), 2);
  const auto v = judge_offline(entries, "off:cr");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->allowed, 0);
  EXPECT_EQ(v->rule, "daily_limit");
}

TEST(PointsCaps, OfflineVisitsAreJudgedInTheOrderTheEngineReceivedThem) {
  const std::vector<LedgerEntry> entries = {award("second", 10, "2027-04-05", true),
                                            award("first", 10, "2027-04-05", true)};
  EXPECT_EQ(judge_offline(entries, "first:cr")->allowed, 10);
  EXPECT_EQ(judge_offline(entries, "second:cr")->allowed, 0);
}

TEST(PointsCaps, TheYearlyCapKeepsTheRemainderOfAnOfflineAward) {
  const std::vector<LedgerEntry> entries = {award("off", 10, "2027-04-06", true, 25),
                                            award("on2", 10, "2027-04-05", false, 25),
                                            award("on1", 10, "2027-04-04", false, 25)};
  const auto v = judge_offline(entries, "off:cr");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->allowed, 5);
  EXPECT_EQ(v->rule, "yearly_cap");
  EXPECT_EQ(earned_in(entries, 2027), 30);
  EXPECT_EQ(earned_in(entries, 2028), 0);
}

TEST(PointsCaps, APendingAwardIsNotJudgedYet) {
  std::vector<LedgerEntry> entries = {award("off", 10, "2027-04-05", true)};
  entries[0].pending = true;
  EXPECT_FALSE(judge_offline(entries, "off:cr"));
}

TEST(PointsCaps, ACorrectionForTheDailyLimitFreesTheDay) {
  std::vector<LedgerEntry> entries = {award("off", 10, "2027-04-05", true)};
  entries.insert(entries.begin(), LedgerEntry{"off:fix:dr",
                                              json{{"kind", "correction"},
                                                   {"rule", "daily_limit"},
                                                   {"facility", "library"},
                                                   {"day", "2027-04-05"},
                                                   {"fy", 2027}},
                                              -10, "test/s", 0, false});
  EXPECT_EQ(visits_on(entries, "library", "2027-04-05"), 0);
  EXPECT_EQ(earned_in(entries, 2027), 0);
}

}  // namespace
}  // namespace kazasu::points
