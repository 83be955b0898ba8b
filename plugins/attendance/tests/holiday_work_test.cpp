// Holiday work (休日勤務) beside overtime: which days it is, how a night shift
// splits across a holiday, and which limits of domain.md §4 count it.
#include <gtest/gtest.h>

#include <kazasu/station_time.hpp>

#include "rules.hpp"

namespace kazasu::attendance {
namespace {

constexpr int32_t kJst = 9 * 3600;

// Unix ms of a station-time (UTC+9) "YYYY-MM-DD HH:MM".
int64_t jst(const std::string& s) {
  return *kazasu::station_time_ms(s, kJst);
}
constexpr int64_t kH = kMsPerHour;
const HolidayCalendar kCalendar;

const Check* find(const std::vector<Check>& checks, const std::string& kind, const std::string& period) {
  for (const auto& c : checks) {
    if (c.kind == kind && c.period == period) return &c;
  }
  return nullptr;
}

TEST(HolidayWork, AShiftOnANationalHolidayIsHolidayWorkNotOvertime) {
  // Labour Thanksgiving Day 2026 is a Monday: the pattern's hours are excused, so all of it is holiday work,
  // less the 1 h break of an 11 h shift (no regular hours to hold it).
  const auto p = split_shift(jst("2026-11-23 08:00"), jst("2026-11-23 19:00"), Pattern{}, kJst, kCalendar);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].worked_ms, 10 * kH);
  EXPECT_EQ(p[0].holiday_ms, 10 * kH);
  EXPECT_EQ(p[0].overtime_ms, 0);
  EXPECT_EQ(p[0].break_ms, kH);
  // The same hours the Monday after are a regular day with 0.5 h + 1.75 h overtime; the break is in the regular hours.
  const auto w = shift_totals(jst("2026-11-30 08:00"), jst("2026-11-30 19:00"), Pattern{}, kJst, kCalendar);
  EXPECT_EQ(w.holiday_ms, 0);
  EXPECT_EQ(w.overtime_ms, 2 * kH + 15 * kMsPerMinute);
  EXPECT_EQ(w.worked_ms, 10 * kH);
}

TEST(HolidayWork, ASaturdayShiftIsOvertimeEvenOnAHoliday) {
  const auto sat = shift_totals(jst("2026-11-28 09:00"), jst("2026-11-28 15:00"), Pattern{}, kJst, kCalendar);
  EXPECT_EQ(sat.overtime_ms, 6 * kH);
  EXPECT_EQ(sat.holiday_ms, 0);
  // 2026-01-03 (a configured year-end day off) and 2027-01-03 (Sunday) are weekly days off first.
  const auto year_end = shift_totals(jst("2026-01-03 09:00"), jst("2026-01-03 12:00"), Pattern{}, kJst, kCalendar);
  EXPECT_EQ(year_end.overtime_ms, 3 * kH);
  EXPECT_EQ(year_end.holiday_ms, 0);
  const auto sunday = shift_totals(jst("2027-01-03 09:00"), jst("2027-01-03 12:00"), Pattern{}, kJst, kCalendar);
  EXPECT_EQ(sunday.overtime_ms, 3 * kH);
  EXPECT_EQ(sunday.holiday_ms, 0);
}

TEST(HolidayWork, NightShiftFromAHolidayIntoAWeekdaySplitsAtMidnight) {
  // Monday 23 November (holiday) 20:00 to Tuesday 10:00: 4 h holiday work, then 8.5 h before 08:30 overtime.
  const auto p = split_shift(jst("2026-11-23 20:00"), jst("2026-11-24 10:00"), Pattern{}, kJst, kCalendar);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(format_day(p[0].day), "2026-11-23");
  EXPECT_EQ(p[0].holiday_ms, 4 * kH);
  EXPECT_EQ(p[0].overtime_ms, 0);
  EXPECT_EQ(format_day(p[1].day), "2026-11-24");
  EXPECT_EQ(p[1].worked_ms, 9 * kH);  // the 1 h break, from 08:30-10:00
  EXPECT_EQ(p[1].overtime_ms, 8 * kH + 30 * kMsPerMinute);
  EXPECT_EQ(p[1].holiday_ms, 0);
  // And the other way: Monday 2 November 22:00 into Culture Day (Tuesday) 06:00.
  const auto q = split_shift(jst("2026-11-02 22:00"), jst("2026-11-03 06:00"), Pattern{}, kJst, kCalendar);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].overtime_ms, kH);  // an 8 h shift without regular hours: its break from its first hours
  EXPECT_EQ(q[0].break_ms, kH);
  EXPECT_EQ(q[0].holiday_ms, 0);
  EXPECT_EQ(q[1].overtime_ms, 0);
  EXPECT_EQ(q[1].holiday_ms, 6 * kH);
}

TEST(HolidayWork, ConfiguredDaysOffAndExtraHolidaysAreHolidayWork) {
  const HolidayCalendar cal({{12, 28}}, {*parse_day("2026-06-10")});
  // Monday 28 December: a day off only by this city's ordinance.
  EXPECT_EQ(shift_totals(jst("2026-12-28 08:30"), jst("2026-12-28 12:30"), Pattern{}, kJst, cal).holiday_ms, 4 * kH);
  EXPECT_EQ(shift_totals(jst("2026-12-28 08:30"), jst("2026-12-28 12:30"), Pattern{}, kJst, kCalendar).holiday_ms, 0);
  // Wednesday 10 June 2026, declared by the city.
  EXPECT_EQ(shift_totals(jst("2026-06-10 08:30"), jst("2026-06-10 12:30"), Pattern{}, kJst, cal).holiday_ms, 4 * kH);
  // Tuesday 29 December is off by default but not in this city's list.
  EXPECT_EQ(shift_totals(jst("2026-12-29 08:30"), jst("2026-12-29 12:30"), Pattern{}, kJst, cal).holiday_ms, 0);
  EXPECT_EQ(shift_totals(jst("2026-12-29 08:30"), jst("2026-12-29 12:30"), Pattern{}, kJst, kCalendar).holiday_ms,
            4 * kH);
}

// The Labour Standards Act's reading of the special clause: holiday work counts
// toward the 100 h month and the 80 h average (holiday_work_in_special_limits).
Limits labour_standards() {
  Limits l;
  l.holiday_work_in_special_limits = true;
  return l;
}

TEST(HolidayWorkLimits, ByDefaultTheExternalMonthAndAverageCountOvertimeAlone) {
  const std::map<std::string, int64_t> overtime{{"2027-04", 70 * kH}, {"2027-05", 90 * kH}};
  const std::map<std::string, int64_t> holiday{{"2027-04", 30 * kH}, {"2027-05", 30 * kH}};
  const auto c = evaluate_limits(SectionType::external, overtime, "2027-05", Limits{}, holiday);
  EXPECT_FALSE(find(c, "monthly_limit", "2027-05")->over);
  EXPECT_DOUBLE_EQ(find(c, "monthly_limit", "2027-05")->value, 90.0);
  EXPECT_FALSE(find(c, "average_limit", "2027-04..2027-05")->over);
  EXPECT_DOUBLE_EQ(find(c, "average_limit", "2027-04..2027-05")->value, 80.0);  // 110 h with holiday work
}

TEST(HolidayWorkLimits, ExternalMonthCountsHolidayWorkTowardTheUnder100Hours) {
  const std::map<std::string, int64_t> overtime{{"2027-06", 90 * kH}};
  std::map<std::string, int64_t> holiday{{"2027-06", 10 * kH - kMsPerMinute}};
  auto c = evaluate_limits(SectionType::external, overtime, "2027-06", labour_standards(), holiday);
  EXPECT_FALSE(find(c, "monthly_limit", "2027-06")->over);
  holiday["2027-06"] = 10 * kH;
  c = evaluate_limits(SectionType::external, overtime, "2027-06", labour_standards(), holiday);
  EXPECT_TRUE(find(c, "monthly_limit", "2027-06")->over);
  EXPECT_DOUBLE_EQ(find(c, "monthly_limit", "2027-06")->value, 100.0);
  // The 45 h standard is overtime alone.
  EXPECT_DOUBLE_EQ(find(c, "monthly_standard", "2027-06")->value, 90.0);
}

TEST(HolidayWorkLimits, OrdinaryMonthAndYearLeaveHolidayWorkOut) {
  const std::map<std::string, int64_t> overtime{{"2027-06", 40 * kH}};
  const std::map<std::string, int64_t> holiday{{"2027-06", 20 * kH}};
  const auto c = evaluate_limits(SectionType::ordinary, overtime, "2027-06", Limits{}, holiday);
  EXPECT_FALSE(find(c, "monthly_limit", "2027-06")->over);
  EXPECT_DOUBLE_EQ(find(c, "monthly_limit", "2027-06")->value, 40.0);
  EXPECT_DOUBLE_EQ(find(c, "yearly_limit", "FY2027")->value, 40.0);
}

TEST(HolidayWorkLimits, ExternalAverageCountsHolidayWork) {
  const std::map<std::string, int64_t> overtime{{"2027-04", 75 * kH}, {"2027-05", 75 * kH}};
  std::map<std::string, int64_t> holiday{{"2027-04", 5 * kH}, {"2027-05", 5 * kH}};
  auto c = evaluate_limits(SectionType::external, overtime, "2027-05", labour_standards(), holiday);
  EXPECT_FALSE(find(c, "average_limit", "2027-04..2027-05")->over);  // exactly 80 h
  EXPECT_DOUBLE_EQ(find(c, "average_limit", "2027-04..2027-05")->value, 80.0);
  holiday["2027-05"] += 2 * kMsPerMinute;
  c = evaluate_limits(SectionType::external, overtime, "2027-05", labour_standards(), holiday);
  EXPECT_TRUE(find(c, "average_limit", "2027-04..2027-05")->over);
  // Without the holiday work the same overtime averages 75 h.
  c = evaluate_limits(SectionType::external, overtime, "2027-05", labour_standards());
  EXPECT_FALSE(find(c, "average_limit", "2027-04..2027-05")->over);
}

TEST(HolidayWorkLimits, ExternalYearAndMonthsOverStandardLeaveHolidayWorkOut) {
  std::map<std::string, int64_t> overtime;
  std::map<std::string, int64_t> holiday;
  for (const auto& month : fiscal_year_months(2027)) {
    overtime[month] = 60 * kH;  // 720 h: at the limit
    holiday[month] = 10 * kH;   // 840 h with holiday work
  }
  const auto c = evaluate_limits(SectionType::external, overtime, "2027-09", labour_standards(), holiday);
  EXPECT_FALSE(find(c, "yearly_limit", "FY2027")->over);
  EXPECT_DOUBLE_EQ(find(c, "yearly_limit", "FY2027")->value, 720.0);
  // 40 h of overtime a month is under the 45 h standard; with the holiday work it would be 50 h.
  for (auto& [month, ms] : overtime) ms = 40 * kH;
  const auto d = evaluate_limits(SectionType::external, overtime, "2027-09", labour_standards(), holiday);
  EXPECT_DOUBLE_EQ(find(d, "months_over_standard", "FY2027")->value, 0.0);
  EXPECT_FALSE(find(d, "months_over_standard", "FY2027")->over);
}

}  // namespace
}  // namespace kazasu::attendance
