// National holidays by rule against the Cabinet Office's published lists
// (2024-2026), the one-off years 2019-2021, the older rules the law has had
// since 1990, and the configured days off.
#include "holidays.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules.hpp"

namespace kazasu::attendance {
namespace {

std::vector<std::string> listed(int year) {
  std::vector<std::string> out;
  for (const auto& h : national_holidays(year)) out.push_back(format_day(h.day).substr(5));
  return out;
}

std::string name_of(const std::string& date) {
  const int64_t day = *parse_day(date);
  for (const auto& h : national_holidays(std::stoi(date.substr(0, 4)))) {
    if (h.day == day) return std::string(h.name);
  }
  return "";
}

using Days = std::vector<std::string>;

TEST(NationalHolidays, MatchTheCabinetOfficeListFor2024) {
  EXPECT_EQ(listed(2024),
            (Days{"01-01", "01-08", "02-11", "02-12", "02-23", "03-20", "04-29", "05-03", "05-04", "05-05", "05-06",
                  "07-15", "08-11", "08-12", "09-16", "09-22", "09-23", "10-14", "11-03", "11-04", "11-23"}));
  EXPECT_EQ(name_of("2024-02-12"), "振替休日");
  EXPECT_EQ(name_of("2024-05-04"), "みどりの日");  // a Saturday, still listed
}

TEST(NationalHolidays, MatchTheCabinetOfficeListFor2025) {
  EXPECT_EQ(listed(2025),
            (Days{"01-01", "01-13", "02-11", "02-23", "02-24", "03-20", "04-29", "05-03", "05-04", "05-05", "05-06",
                  "07-21", "08-11", "09-15", "09-23", "10-13", "11-03", "11-23", "11-24"}));
  // 05-04 (Sunday) moves past 05-05, itself a holiday, to 05-06.
  EXPECT_EQ(name_of("2025-05-06"), "振替休日");
}

TEST(NationalHolidays, MatchTheCabinetOfficeListFor2026) {
  EXPECT_EQ(listed(2026), (Days{"01-01", "01-12", "02-11", "02-23", "03-20", "04-29", "05-03", "05-04", "05-05",
                                "05-06", "07-20", "08-11", "09-21", "09-22", "09-23", "10-12", "11-03", "11-23"}));
  // Between Respect-for-the-Aged Day (Monday) and the equinox (Wednesday).
  EXPECT_EQ(name_of("2026-09-22"), "国民の休日");
  EXPECT_EQ(name_of("2026-11-23"), "勤労感謝の日");
}

TEST(NationalHolidays, EnthronementYear2019HasItsOneOffDays) {
  EXPECT_EQ(listed(2019),
            (Days{"01-01", "01-14", "02-11", "03-21", "04-29", "04-30", "05-01", "05-02", "05-03", "05-04", "05-05",
                  "05-06", "07-15", "08-11", "08-12", "09-16", "09-23", "10-14", "10-22", "11-03", "11-04", "11-23"}));
  EXPECT_EQ(name_of("2019-04-30"), "国民の休日");
  EXPECT_EQ(name_of("2019-05-01"), "即位の日");
  EXPECT_EQ(name_of("2019-05-02"), "国民の休日");
  EXPECT_EQ(name_of("2019-10-22"), "即位礼正殿の儀");
  EXPECT_EQ(name_of("2018-12-23"), "天皇誕生日");
  EXPECT_EQ(name_of("2019-12-23"), "");  // no Emperor's Birthday in 2019
}

TEST(NationalHolidays, OlympicYears2020And2021MovedThreeHolidays) {
  EXPECT_EQ(listed(2020), (Days{"01-01", "01-13", "02-11", "02-23", "02-24", "03-20", "04-29", "05-03", "05-04",
                                "05-05", "05-06", "07-23", "07-24", "08-10", "09-21", "09-22", "11-03", "11-23"}));
  EXPECT_EQ(listed(2021), (Days{"01-01", "01-11", "02-11", "02-23", "03-20", "04-29", "05-03", "05-04", "05-05",
                                "07-22", "07-23", "08-08", "08-09", "09-20", "09-23", "11-03", "11-23"}));
  EXPECT_EQ(name_of("2020-07-24"), "スポーツの日");
  EXPECT_EQ(name_of("2021-08-09"), "振替休日");
  EXPECT_EQ(name_of("2022-10-10"), "スポーツの日");  // back to the second Monday of October
  EXPECT_EQ(name_of("2022-07-18"), "海の日");
  EXPECT_EQ(name_of("2022-08-11"), "山の日");
}

TEST(NationalHolidays, EarlierRulesOfTheLawSince1990) {
  EXPECT_EQ(name_of("1999-01-15"), "成人の日");  // fixed date before the Happy Monday law
  EXPECT_EQ(name_of("2000-01-10"), "成人の日");
  EXPECT_EQ(name_of("2000-10-09"), "体育の日");
  EXPECT_EQ(name_of("1995-07-20"), "");  // Marine Day began in 1996
  EXPECT_EQ(name_of("1996-07-20"), "海の日");
  EXPECT_EQ(name_of("2002-09-15"), "敬老の日");
  EXPECT_EQ(name_of("2003-09-15"), "敬老の日");  // third Monday from 2003
  EXPECT_EQ(name_of("2003-07-21"), "海の日");
  EXPECT_EQ(name_of("2015-08-11"), "");  // Mountain Day began in 2016
  EXPECT_EQ(name_of("2006-04-29"), "みどりの日");
  EXPECT_EQ(name_of("2007-04-29"), "昭和の日");
  EXPECT_EQ(name_of("2006-05-04"), "国民の休日");  // between 05-03 and 05-05 before it had a name
  EXPECT_EQ(name_of("1997-05-04"), "");            // a Sunday was excluded
  EXPECT_EQ(name_of("2008-05-06"), "振替休日");    // Sunday 05-04 moved past 05-05 (from 2007)
  EXPECT_EQ(name_of("2009-09-22"), "国民の休日");
  EXPECT_EQ(name_of("2001-09-24"), "振替休日");
  EXPECT_EQ(name_of("1990-11-12"), "即位礼正殿の儀");
  EXPECT_EQ(name_of("1993-06-09"), "皇太子徳仁親王の結婚の儀");
}

// The Cabinet Office's syukujitsu.csv from 1990 (days as M/D, one year a line):
// every 振替休日 and 国民の休日 the rules must reproduce, under each version of the law.
TEST(NationalHolidays, EveryYearSince1990MatchesTheCabinetOfficeCsv) {
  const std::string expected =
      "1990 1/1 1/15 2/11 2/12 3/21 4/29 4/30 5/3 5/4 5/5 9/15 9/23 9/24 10/10 11/3 11/12 11/23 12/23 12/24\n"
      "1991 1/1 1/15 2/11 3/21 4/29 5/3 5/4 5/5 5/6 9/15 9/16 9/23 10/10 11/3 11/4 11/23 12/23\n"
      "1992 1/1 1/15 2/11 3/20 4/29 5/3 5/4 5/5 9/15 9/23 10/10 11/3 11/23 12/23\n"
      "1993 1/1 1/15 2/11 3/20 4/29 5/3 5/4 5/5 6/9 9/15 9/23 10/10 10/11 11/3 11/23 12/23\n"
      "1994 1/1 1/15 2/11 3/21 4/29 5/3 5/4 5/5 9/15 9/23 10/10 11/3 11/23 12/23\n"
      "1995 1/1 1/2 1/15 1/16 2/11 3/21 4/29 5/3 5/4 5/5 9/15 9/23 10/10 11/3 11/23 12/23\n"
      "1996 1/1 1/15 2/11 2/12 3/20 4/29 5/3 5/4 5/5 5/6 7/20 9/15 9/16 9/23 10/10 11/3 11/4 11/23 12/23\n"
      "1997 1/1 1/15 2/11 3/20 4/29 5/3 5/5 7/20 7/21 9/15 9/23 10/10 11/3 11/23 11/24 12/23\n"
      "1998 1/1 1/15 2/11 3/21 4/29 5/3 5/4 5/5 7/20 9/15 9/23 10/10 11/3 11/23 12/23\n"
      "1999 1/1 1/15 2/11 3/21 3/22 4/29 5/3 5/4 5/5 7/20 9/15 9/23 10/10 10/11 11/3 11/23 12/23\n"
      "2000 1/1 1/10 2/11 3/20 4/29 5/3 5/4 5/5 7/20 9/15 9/23 10/9 11/3 11/23 12/23\n"
      "2001 1/1 1/8 2/11 2/12 3/20 4/29 4/30 5/3 5/4 5/5 7/20 9/15 9/23 9/24 10/8 11/3 11/23 12/23 12/24\n"
      "2002 1/1 1/14 2/11 3/21 4/29 5/3 5/4 5/5 5/6 7/20 9/15 9/16 9/23 10/14 11/3 11/4 11/23 12/23\n"
      "2003 1/1 1/13 2/11 3/21 4/29 5/3 5/5 7/21 9/15 9/23 10/13 11/3 11/23 11/24 12/23\n"
      "2004 1/1 1/12 2/11 3/20 4/29 5/3 5/4 5/5 7/19 9/20 9/23 10/11 11/3 11/23 12/23\n"
      "2005 1/1 1/10 2/11 3/20 3/21 4/29 5/3 5/4 5/5 7/18 9/19 9/23 10/10 11/3 11/23 12/23\n"
      "2006 1/1 1/2 1/9 2/11 3/21 4/29 5/3 5/4 5/5 7/17 9/18 9/23 10/9 11/3 11/23 12/23\n"
      "2007 1/1 1/8 2/11 2/12 3/21 4/29 4/30 5/3 5/4 5/5 7/16 9/17 9/23 9/24 10/8 11/3 11/23 12/23 12/24\n"
      "2008 1/1 1/14 2/11 3/20 4/29 5/3 5/4 5/5 5/6 7/21 9/15 9/23 10/13 11/3 11/23 11/24 12/23\n"
      "2009 1/1 1/12 2/11 3/20 4/29 5/3 5/4 5/5 5/6 7/20 9/21 9/22 9/23 10/12 11/3 11/23 12/23\n"
      "2010 1/1 1/11 2/11 3/21 3/22 4/29 5/3 5/4 5/5 7/19 9/20 9/23 10/11 11/3 11/23 12/23\n"
      "2011 1/1 1/10 2/11 3/21 4/29 5/3 5/4 5/5 7/18 9/19 9/23 10/10 11/3 11/23 12/23\n"
      "2012 1/1 1/2 1/9 2/11 3/20 4/29 4/30 5/3 5/4 5/5 7/16 9/17 9/22 10/8 11/3 11/23 12/23 12/24\n"
      "2013 1/1 1/14 2/11 3/20 4/29 5/3 5/4 5/5 5/6 7/15 9/16 9/23 10/14 11/3 11/4 11/23 12/23\n"
      "2014 1/1 1/13 2/11 3/21 4/29 5/3 5/4 5/5 5/6 7/21 9/15 9/23 10/13 11/3 11/23 11/24 12/23\n"
      "2015 1/1 1/12 2/11 3/21 4/29 5/3 5/4 5/5 5/6 7/20 9/21 9/22 9/23 10/12 11/3 11/23 12/23\n"
      "2016 1/1 1/11 2/11 3/20 3/21 4/29 5/3 5/4 5/5 7/18 8/11 9/19 9/22 10/10 11/3 11/23 12/23\n"
      "2017 1/1 1/2 1/9 2/11 3/20 4/29 5/3 5/4 5/5 7/17 8/11 9/18 9/23 10/9 11/3 11/23 12/23\n"
      "2018 1/1 1/8 2/11 2/12 3/21 4/29 4/30 5/3 5/4 5/5 7/16 8/11 9/17 9/23 9/24 10/8 11/3 11/23 12/23 12/24\n"
      "2019 1/1 1/14 2/11 3/21 4/29 4/30 5/1 5/2 5/3 5/4 5/5 5/6 7/15 8/11 8/12 9/16 9/23 10/14 10/22 11/3 11/4 11/23\n"
      "2020 1/1 1/13 2/11 2/23 2/24 3/20 4/29 5/3 5/4 5/5 5/6 7/23 7/24 8/10 9/21 9/22 11/3 11/23\n"
      "2021 1/1 1/11 2/11 2/23 3/20 4/29 5/3 5/4 5/5 7/22 7/23 8/8 8/9 9/20 9/23 11/3 11/23\n"
      "2022 1/1 1/10 2/11 2/23 3/21 4/29 5/3 5/4 5/5 7/18 8/11 9/19 9/23 10/10 11/3 11/23\n"
      "2023 1/1 1/2 1/9 2/11 2/23 3/21 4/29 5/3 5/4 5/5 7/17 8/11 9/18 9/23 10/9 11/3 11/23\n"
      "2024 1/1 1/8 2/11 2/12 2/23 3/20 4/29 5/3 5/4 5/5 5/6 7/15 8/11 8/12 9/16 9/22 9/23 10/14 11/3 11/4 11/23\n"
      "2025 1/1 1/13 2/11 2/23 2/24 3/20 4/29 5/3 5/4 5/5 5/6 7/21 8/11 9/15 9/23 10/13 11/3 11/23 11/24\n"
      "2026 1/1 1/12 2/11 2/23 3/20 4/29 5/3 5/4 5/5 5/6 7/20 8/11 9/21 9/22 9/23 10/12 11/3 11/23\n"
      "2027 1/1 1/11 2/11 2/23 3/21 3/22 4/29 5/3 5/4 5/5 7/19 8/11 9/20 9/23 10/11 11/3 11/23\n";
  std::string computed;
  for (int y = 1990; y <= 2027; ++y) {
    computed += std::to_string(y);
    for (const auto& h : national_holidays(y)) {
      const Civil c = civil_from_days(h.day);
      // Appended piecewise: GCC 12 -O3 warns falsely (-Wrestrict) on " " + to_string(...).
      computed += ' ';
      computed += std::to_string(c.m);
      computed += '/';
      computed += std::to_string(c.d);
    }
    computed += "\n";
  }
  EXPECT_EQ(computed, expected);
}

TEST(NationalHolidays, EquinoxesFollowTheApproximation) {
  // Dates the Cabinet announced: the autumnal equinox moved between the 22nd and 23rd.
  EXPECT_EQ(vernal_equinox_day(2019), 21);
  EXPECT_EQ(vernal_equinox_day(2024), 20);
  EXPECT_EQ(autumnal_equinox_day(2012), 22);
  EXPECT_EQ(autumnal_equinox_day(2024), 22);
  EXPECT_EQ(autumnal_equinox_day(2025), 23);
  // From 2100 the constants change: without them 2100's equinoxes would come a day early.
  EXPECT_EQ(vernal_equinox_day(2100), 20);
  EXPECT_EQ(autumnal_equinox_day(2100), 23);
}

TEST(NationalHolidays, NoneOutsideTheYearsTheRulesCover) {
  EXPECT_TRUE(national_holidays(1989).empty());
  EXPECT_FALSE(national_holidays(1990).empty());
  EXPECT_FALSE(national_holidays(2150).empty());
  EXPECT_TRUE(national_holidays(2151).empty());
}

TEST(DaysOff, MonthDayMustBeADayOfSomeYear) {
  ASSERT_TRUE(parse_month_day("12-29"));
  EXPECT_EQ(parse_month_day("12-29")->month, 12);
  EXPECT_EQ(parse_month_day("12-29")->day, 29);
  EXPECT_TRUE(parse_month_day("02-29"));
  EXPECT_FALSE(parse_month_day("02-30"));
  EXPECT_FALSE(parse_month_day("13-01"));
  EXPECT_FALSE(parse_month_day("1-03"));
  EXPECT_FALSE(parse_month_day("01/03"));
  EXPECT_FALSE(parse_month_day("2027-01-03"));
}

TEST(DaysOff, DefaultCalendarHasTheYearEndDaysAndTheNationalHolidays) {
  const HolidayCalendar cal;
  for (const char* d : {"2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02", "2027-01-03"}) {
    EXPECT_TRUE(cal.is_holiday(*parse_day(d))) << d;
  }
  EXPECT_FALSE(cal.is_holiday(*parse_day("2026-12-28")));
  EXPECT_FALSE(cal.is_holiday(*parse_day("2027-01-04")));
  EXPECT_TRUE(cal.is_holiday(*parse_day("2026-11-23")));
  EXPECT_TRUE(cal.is_holiday(*parse_day("2026-09-22")));
}

TEST(DaysOff, ConfiguredDaysOffReplaceTheDefaultsAndExtraDaysAdd) {
  const HolidayCalendar cal({{6, 15}}, {*parse_day("2027-04-06")});
  EXPECT_TRUE(cal.is_holiday(*parse_day("2027-06-15")));
  EXPECT_TRUE(cal.is_holiday(*parse_day("2028-06-15")));
  EXPECT_FALSE(cal.is_holiday(*parse_day("2026-12-29")));
  EXPECT_TRUE(cal.is_holiday(*parse_day("2027-04-06")));
  EXPECT_FALSE(cal.is_holiday(*parse_day("2028-04-06")));
  EXPECT_TRUE(cal.is_holiday(*parse_day("2027-01-01")));  // national holidays stay
}

}  // namespace
}  // namespace kazasu::attendance
