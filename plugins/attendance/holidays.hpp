// Japanese national holidays (国民の祝日に関する法律), computed by rule for
// any year the law's present shape covers, and the days off a municipality
// adds by ordinance (地方自治法 Art. 4-2: the year-end and new-year days, or a
// day the city declares). Pure functions of dates, like rules.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kazasu::attendance {

// Before 1990 the holidays differ (the Shōwa Emperor's birthday, the 1989
// funeral); after 2150 the equinox approximation is no longer published.
// Outside these years only the configured days off count.
constexpr int kFirstHolidayYear = 1990;
constexpr int kLastHolidayYear = 2150;

struct Holiday {
  int64_t day = 0;        // days since 1970-01-01
  std::string_view name;  // e.g. 元日, 振替休日, 国民の休日
};

/**
 * Every national holiday of `year`, in date order: the 国民の祝日, the days
 * counted as such by special law (enthronement 2019, ...), 振替休日 and
 * 国民の休日. Empty outside kFirstHolidayYear..kLastHolidayYear.
 */
std::vector<Holiday> national_holidays(int year);

/** Day of the March (vernal) or September (autumnal) equinox by the usual approximation. */
int vernal_equinox_day(int year);
int autumnal_equinox_day(int year);

struct MonthDay {
  int month = 1;
  int day = 1;
};

/** "MM-DD" with a day that exists in some year (02-29 does). */
std::optional<MonthDay> parse_month_day(const std::string& s);

/** 12-29 to 01-03 without 01-01 (already a national holiday): the usual municipal ordinance. */
std::vector<MonthDay> default_days_off();

/**
 * The days a station's staff are off by calendar: national holidays, the
 * configured yearly days off and the extra days a city declares. Weekly days
 * off (Saturday, Sunday) are not its business: rules.hpp treats them apart.
 */
class HolidayCalendar {
 public:
  /** National holidays and default_days_off(), no extra days. */
  HolidayCalendar();
  HolidayCalendar(std::vector<MonthDay> days_off, std::vector<int64_t> extra_days);

  [[nodiscard]] bool is_holiday(int64_t day) const;

 private:
  std::vector<MonthDay> days_off_;
  std::vector<int64_t> extra_days_;  // sorted
};

}  // namespace kazasu::attendance
