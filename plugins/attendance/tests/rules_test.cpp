// The pure rules with fixed instants: Japan-time days, month and fiscal-year
// ends, the leap day, overtime of midnight shifts, each limit of domain.md §4
// on both sides of its boundary, rest between shifts and the auto-close rule.
#include "rules.hpp"
#include "rollcall.hpp"

#include <gtest/gtest.h>

#include "csv_export.hpp"
#include "records.hpp"

namespace kazasu::attendance {
namespace {

constexpr int32_t kJst = 9 * 3600;

// Unix ms of a station-time (UTC+9) "YYYY-MM-DD HH:MM".
int64_t jst(const std::string& s) {
  return *kazasu::station_time_ms(s, kJst);
}
constexpr int64_t kH = kMsPerHour;
const HolidayCalendar kCalendar;  // national holidays and the default year-end days off

TEST(StationTime, DayChangesAtMidnightInJapanNotUtc) {
  const int64_t midnight = jst("2027-04-01 00:00");
  EXPECT_EQ(station_day(midnight, kJst), "2027-04-01");
  EXPECT_EQ(station_day(midnight - 1, kJst), "2027-03-31");
  EXPECT_EQ(station_day(midnight, 0), "2027-03-31");  // still the 31st in UTC
  EXPECT_EQ(station_rfc3339(midnight + 90'000, kJst), "2027-04-01T00:01:30+09:00");
  EXPECT_EQ(station_minute(midnight - 60'000, kJst), "2027-03-31 23:59");
}

TEST(StationTime, FiscalYearRunsFromAprilToMarch) {
  EXPECT_EQ(fiscal_year("2027-03"), 2026);
  EXPECT_EQ(fiscal_year("2027-04"), 2027);
  EXPECT_EQ(fiscal_year("2028-01"), 2027);
  const auto months = fiscal_year_months(2027);
  ASSERT_EQ(months.size(), 12u);
  EXPECT_EQ(months.front(), "2027-04");
  EXPECT_EQ(months.back(), "2028-03");
  EXPECT_EQ(add_months("2027-12", 1), "2028-01");
  EXPECT_EQ(add_months("2027-01", -1), "2026-12");
}

TEST(StationTime, LeapDayIsARealDayOnlyInLeapYears) {
  ASSERT_TRUE(parse_day("2028-02-29"));
  EXPECT_FALSE(parse_day("2027-02-29"));
  EXPECT_FALSE(parse_day("2100-02-29"));
  EXPECT_EQ(*parse_day("2028-03-01") - *parse_day("2028-02-29"), 1);
  EXPECT_EQ(station_day(jst("2028-02-29 23:59") + 60'000, kJst), "2028-03-01");
  EXPECT_TRUE(valid_month("2028-02"));
  EXPECT_FALSE(valid_month("2028-13"));
}

TEST(Overtime, WeekdayOvertimeIsTheWorkOutsideThePattern) {
  // Monday: 08:00-19:15 against 08:30-17:15 is 0.5 h before and 2 h after; the 1 h break is in the pattern.
  const auto p = split_shift(jst("2027-04-05 08:00"), jst("2027-04-05 19:15"), Pattern{}, kJst, kCalendar);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].worked_ms, 10 * kH + 15 * kMsPerMinute);
  EXPECT_EQ(p[0].overtime_ms, 2 * kH + 30 * kMsPerMinute);
  EXPECT_EQ(p[0].break_ms, kH);
}

TEST(Overtime, WeekendWorkIsAllOvertime) {
  const auto p = split_shift(jst("2027-04-10 09:00"), jst("2027-04-10 12:00"), Pattern{}, kJst, kCalendar);  // Saturday
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].overtime_ms, 3 * kH);
}

TEST(Overtime, MidnightShiftIsSplitAtStationMidnight) {
  // Wednesday 22:00 to Thursday 09:00: 2 h on the 7th, 8.5 h before 08:30 and 0.5 h regular on the 8th.
  // The 1 h break of the 11 h shift: the 0.5 h regular, then 0.5 h of its first overtime.
  const auto p = split_shift(jst("2027-04-07 22:00"), jst("2027-04-08 09:00"), Pattern{}, kJst, kCalendar);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(format_day(p[0].day), "2027-04-07");
  EXPECT_EQ(p[0].overtime_ms, kH + 30 * kMsPerMinute);
  EXPECT_EQ(p[0].break_ms, 30 * kMsPerMinute);
  EXPECT_EQ(format_day(p[1].day), "2027-04-08");
  EXPECT_EQ(p[1].worked_ms, 8 * kH + 30 * kMsPerMinute);
  EXPECT_EQ(p[1].overtime_ms, 8 * kH + 30 * kMsPerMinute);
  EXPECT_EQ(p[1].break_ms, 30 * kMsPerMinute);
}

TEST(Overtime, LeapDayNightShiftCountsInFebruaryAndMarch) {
  const auto p = split_shift(jst("2028-02-29 22:00"), jst("2028-03-01 02:00"), Pattern{}, kJst, kCalendar);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(format_day(p[0].day), "2028-02-29");
  EXPECT_EQ(p[0].overtime_ms, 2 * kH);
  EXPECT_EQ(format_day(p[1].day), "2028-03-01");
  EXPECT_EQ(p[1].overtime_ms, 2 * kH);
}

const Check* find(const std::vector<Check>& checks, const std::string& kind, const std::string& period) {
  for (const auto& c : checks) {
    if (c.kind == kind && c.period == period) return &c;
  }
  return nullptr;
}

TEST(Limits, OrdinaryMonthIsOverOnlyPast45Hours) {
  std::map<std::string, int64_t> m{{"2027-05", 45 * kH}};
  auto c = evaluate_limits(SectionType::ordinary, m, "2027-05", Limits{});
  ASSERT_TRUE(find(c, "monthly_limit", "2027-05"));
  EXPECT_FALSE(find(c, "monthly_limit", "2027-05")->over);
  m["2027-05"] += 1;
  c = evaluate_limits(SectionType::ordinary, m, "2027-05", Limits{});
  EXPECT_TRUE(find(c, "monthly_limit", "2027-05")->over);
  EXPECT_EQ(find(c, "monthly_limit", "2027-05")->limit, 45);
}

TEST(Limits, OrdinaryYearSumsAprilToMarchOnly) {
  std::map<std::string, int64_t> m;
  for (const auto& month : fiscal_year_months(2027)) m[month] = 30 * kH;  // 360 h: at the limit
  m["2027-03"] = 40 * kH;                                                 // fiscal 2026: must not count
  m["2028-04"] = 40 * kH;                                                 // fiscal 2028: must not count
  auto c = evaluate_limits(SectionType::ordinary, m, "2028-03", Limits{});
  EXPECT_FALSE(find(c, "yearly_limit", "FY2027")->over);
  EXPECT_DOUBLE_EQ(find(c, "yearly_limit", "FY2027")->value, 360.0);
  m["2028-03"] += kMsPerMinute;
  c = evaluate_limits(SectionType::ordinary, m, "2028-03", Limits{});
  EXPECT_TRUE(find(c, "yearly_limit", "FY2027")->over);
}

TEST(Limits, ExternalMonthMustStayUnder100Hours) {
  std::map<std::string, int64_t> m{{"2027-06", 100 * kH - kMsPerMinute}};
  auto c = evaluate_limits(SectionType::external, m, "2027-06", Limits{});
  EXPECT_FALSE(find(c, "monthly_limit", "2027-06")->over);
  EXPECT_TRUE(find(c, "monthly_standard", "2027-06")->over);  // past 45 h
  m["2027-06"] = 100 * kH;
  c = evaluate_limits(SectionType::external, m, "2027-06", Limits{});
  EXPECT_TRUE(find(c, "monthly_limit", "2027-06")->over);
}

TEST(Limits, ExternalYearIsOverPast720Hours) {
  std::map<std::string, int64_t> m;
  for (const auto& month : fiscal_year_months(2027)) m[month] = 60 * kH;  // 720 h
  auto c = evaluate_limits(SectionType::external, m, "2027-09", Limits{});
  EXPECT_FALSE(find(c, "yearly_limit", "FY2027")->over);
  m["2027-09"] += kMsPerMinute;
  c = evaluate_limits(SectionType::external, m, "2027-09", Limits{});
  EXPECT_TRUE(find(c, "yearly_limit", "FY2027")->over);
}

TEST(Limits, ExternalAverageCoversEveryTwoToSixMonthWindow) {
  std::map<std::string, int64_t> m{{"2027-04", 80 * kH}, {"2027-05", 80 * kH}};
  auto c = evaluate_limits(SectionType::external, m, "2027-05", Limits{});
  EXPECT_FALSE(find(c, "average_limit", "2027-04..2027-05")->over);  // exactly 80 h
  m["2027-05"] += kMsPerMinute * 2;
  c = evaluate_limits(SectionType::external, m, "2027-05", Limits{});
  EXPECT_TRUE(find(c, "average_limit", "2027-04..2027-05")->over);
  EXPECT_FALSE(find(c, "average_limit", "2027-03..2027-05")->over);  // 3 months: 53 h
  // A six-month window across the fiscal-year end: 95 h a month from November to April.
  std::map<std::string, int64_t> across;
  for (int i = 0; i < 6; ++i) across[add_months("2026-11", i)] = 95 * kH;
  across["2027-02"] = 0;
  c = evaluate_limits(SectionType::external, across, "2027-04", Limits{});
  EXPECT_FALSE(find(c, "average_limit", "2026-11..2027-04")->over);  // 475/6 = 79.2 h
  ASSERT_TRUE(find(c, "average_limit", "2027-03..2027-04"));
  EXPECT_TRUE(find(c, "average_limit", "2027-03..2027-04")->over);
  across["2027-02"] = 95 * kH;
  c = evaluate_limits(SectionType::external, across, "2027-04", Limits{});
  EXPECT_TRUE(find(c, "average_limit", "2026-11..2027-04")->over);
}

TEST(Limits, ExternalAllowsSixMonthsOver45HoursAFiscalYear) {
  std::map<std::string, int64_t> m;
  const auto months = fiscal_year_months(2027);
  for (int i = 0; i < 6; ++i) m[months[static_cast<size_t>(i) * 2]] = 46 * kH;
  auto c = evaluate_limits(SectionType::external, m, "2027-04", Limits{});
  EXPECT_FALSE(find(c, "months_over_standard", "FY2027")->over);
  m["2028-03"] = 45 * kH + kMsPerMinute;  // the seventh, in March
  c = evaluate_limits(SectionType::external, m, "2028-03", Limits{});
  EXPECT_TRUE(find(c, "months_over_standard", "FY2027")->over);
  EXPECT_DOUBLE_EQ(find(c, "months_over_standard", "FY2027")->value, 7.0);
}

TEST(Limits, ConfiguredLimitsReplaceTheDefaults) {
  Limits l;
  l.ordinary_month_h = 10;
  const std::map<std::string, int64_t> m{{"2027-05", 11 * kH}};
  EXPECT_TRUE(find(evaluate_limits(SectionType::ordinary, m, "2027-05", l), "monthly_limit", "2027-05")->over);
}

TEST(Rest, ShorterThanConfiguredHoursIsFlagged) {
  const int64_t out = jst("2027-04-05 22:00");
  EXPECT_EQ(short_rest(out, jst("2027-04-06 08:00"), 11), 10 * kH);
  EXPECT_FALSE(short_rest(out, jst("2027-04-06 09:00"), 11));  // exactly 11 h is enough
  EXPECT_FALSE(short_rest(std::nullopt, jst("2027-04-06 08:00"), 11));
  EXPECT_FALSE(short_rest(out, jst("2027-04-06 08:00"), 9));
}

TEST(AutoClose, DueAtTheConfiguredHourOnceOpenLongEnough) {
  EXPECT_EQ(auto_close_due(jst("2027-04-05 08:30"), 5, 16, kJst), jst("2027-04-06 05:00"));
  EXPECT_EQ(auto_close_due(jst("2027-04-05 14:00"), 5, 16, kJst), jst("2027-04-07 05:00"));
  EXPECT_EQ(auto_close_due(jst("2027-04-05 13:00"), 5, 16, kJst), jst("2027-04-06 05:00"));
  EXPECT_EQ(auto_close_out(jst("2027-04-05 08:30"), Pattern{}, kJst), jst("2027-04-05 17:15"));
  EXPECT_EQ(auto_close_out(jst("2027-04-05 20:00"), Pattern{}, kJst), jst("2027-04-05 20:00"));
}

TEST(Corrections, LatestCorrectionReplacesThatDayOnly) {
  const std::vector<Shift> shifts{{1, "S1", jst("2027-04-05 08:30"), "d", jst("2027-04-05 17:15"), "d", false},
                                  {2, "S1", jst("2027-04-06 08:30"), "d", jst("2027-04-06 17:15"), "", true}};
  const int64_t day = *parse_day("2027-04-06");
  const std::vector<Correction> fixes{{1, "S1", day, jst("2027-04-06 08:30"), jst("2027-04-06 19:00"), "r", "A", 0},
                                      {2, "S1", day, jst("2027-04-06 08:30"), jst("2027-04-06 20:00"), "r", "A", 0}};
  const auto e = apply_corrections(shifts, fixes, kJst);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_FALSE(e[0].corrected);
  EXPECT_TRUE(e[1].corrected);
  EXPECT_EQ(*e[1].out_ms, jst("2027-04-06 20:00"));
}

TEST(Patterns, TheDefaultBreakFollowsTheStatuteOnThePatternsSpan) {
  EXPECT_EQ(statutory_break_min(6 * 60), 0);
  EXPECT_EQ(statutory_break_min(6 * 60 + 1), 45);
  EXPECT_EQ(statutory_break_min(8 * 60), 45);
  EXPECT_EQ(statutory_break_min(8 * 60 + 45), 60);  // 08:30-17:15: 7 h 45 min of work
  const auto p = make_pattern("08:30", "17:15");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->break_min, 60);
  EXPECT_TRUE(p->day_off(0));
  EXPECT_TRUE(p->day_off(6));
  EXPECT_FALSE(p->day_off(1));
  EXPECT_EQ(*p, Pattern{});
  EXPECT_FALSE(make_pattern("09:00", "10:00", 60));         // a break as long as the day
  EXPECT_FALSE(make_pattern("09:00", "18:00", 60, 0x7FU));  // no working day
  EXPECT_EQ(parse_weekday("sat"), 6);
  EXPECT_FALSE(parse_weekday("Sat"));
  EXPECT_STREQ(weekday_name(1), "mon");
}

TEST(Patterns, TermsHistoryGivesTheTermsInForceOnEachDay) {
  Terms early;
  Terms later{SectionType::external, *make_pattern("10:00", "19:15")};
  const TermsHistory h({{100, early}, {130, later}});
  EXPECT_EQ(h.at(90), early);  // before the first entry: the first
  EXPECT_EQ(h.at(100), early);
  EXPECT_EQ(h.at(129), early);
  EXPECT_EQ(h.at(130), later);
  EXPECT_EQ(h.at(1000), later);
  EXPECT_EQ(TermsHistory().at(5), Terms{});
}

TEST(Overtime, EachDayOfANightShiftUsesThePatternInForceThatDay) {
  // Thursday night into Friday; from Friday the pattern starts at 06:00.
  const int64_t friday = *parse_day("2027-04-09");
  const Pattern early = *make_pattern("06:00", "15:00");
  const auto p = split_shift(
      jst("2027-04-08 22:00"), jst("2027-04-09 07:00"), [&](int64_t d) { return d >= friday ? early : Pattern{}; },
      kJst, kCalendar);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].overtime_ms, 2 * kH);  // the break (60 min of Thursday's pattern) from Friday's regular hour
  EXPECT_EQ(p[1].overtime_ms, 6 * kH);
  EXPECT_EQ(p[1].break_ms, kH);
}

TEST(RollCallRules, FatigueCountsPresenceDaysWithoutRestAndTheFirstReport) {
  const int64_t since = jst("2027-04-05 09:00");
  const std::vector<Shift> shifts{
      {1, "S1", jst("2027-04-01 09:00"), "d", jst("2027-04-01 17:00"), "d", false},  // Thursday; Friday off
      {2, "S1", jst("2027-04-03 22:00"), "d", jst("2027-04-04 06:00"), "d", false},  // Saturday night
      {3, "S1", jst("2027-04-05 08:00"), "d", std::nullopt, "", false, true}};       // in since Monday 08:00
  const Fatigue f = fatigue_of(shifts, since, jst("2027-04-06 10:00"), kJst);
  EXPECT_TRUE(f.on_duty);
  EXPECT_EQ(f.since_ms, jst("2027-04-05 08:00"));
  EXPECT_EQ(f.on_duty_ms, 26 * kH);
  EXPECT_EQ(f.last_7d_ms, 26 * kH + 8 * kH + 8 * kH);  // all three within the 7 days before now
  EXPECT_EQ(f.days_without_rest, 4);                   // Saturday to Tuesday
  EXPECT_EQ(f.first_report_ms, since);                 // in when it was declared
  const Fatigue none = fatigue_of({}, since, jst("2027-04-06 10:00"), kJst);
  EXPECT_FALSE(none.first_report_ms);
  EXPECT_EQ(none.days_without_rest, 0);
  // A week later only the part of the long shift inside the 7 days counts.
  EXPECT_EQ(fatigue_of(shifts, since, jst("2027-04-12 08:00"), kJst).last_7d_ms, 7 * 24 * kH);
}

TEST(Export, CsvHasOneRowPerShiftWithHoursAndQuoting) {
  const std::vector<Effective> rows{{"S1", *parse_day("2027-04-07"), jst("2027-04-07 22:00"), jst("2027-04-08 09:00")},
                                    {"A,B", *parse_day("2027-04-08"), jst("2027-04-08 08:30"), std::nullopt}};
  const std::string csv = export_csv(
      rows, [](const std::string&, int64_t) { return Pattern{}; }, kJst, kCalendar);
  EXPECT_EQ(csv,
            "staff,date,in,out,worked,overtime,holiday,break\r\n"
            "S1,2027-04-07,2027-04-07 22:00,2027-04-08 09:00,10.00,10.00,0.00,1.00\r\n"
            "\"A,B\",2027-04-08,2027-04-08 08:30,,,,,\r\n");
}

}  // namespace
}  // namespace kazasu::attendance
