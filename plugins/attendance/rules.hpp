// Attendance rules as pure functions of times and totals: station-time days,
// months and fiscal years, overtime and holiday work of a shift, the limits
// of domain.md §4, rest between shifts and the missing-clock-out rule. No
// clock and no database here, so every boundary can be tested with plain
// numbers.
#pragma once

#include <kazasu/station_time.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "holidays.hpp"

namespace kazasu::attendance {

constexpr int64_t kMsPerMinute = 60'000;
constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
// Station days and times come from the SDK (kazasu/station_time.hpp).
using kazasu::Civil;
using kazasu::civil_from_days;
using kazasu::days_from_civil;
using kazasu::format_day;
using kazasu::kMsPerDay;
using kazasu::parse_day;
using kazasu::station_day;
using kazasu::station_day_number;
using kazasu::station_midnight_ms;
using kazasu::station_rfc3339;

/** Regular working hours of a day, in minutes after station midnight. */
struct Pattern {
  int start_min = 8 * 60 + 30;  // 08:30-17:15: the usual municipal pattern
  int end_min = 17 * 60 + 15;
};

enum class SectionType { ordinary, external };

std::optional<SectionType> parse_section_type(const std::string& s);
const char* to_string(SectionType t);

/** "HH:MM" (00:00-23:59) to minutes after midnight. */
std::optional<int> parse_hhmm(const std::string& s);
std::string format_hhmm(int minutes);
/** A pattern whose end is after its start on the same day. */
std::optional<Pattern> make_pattern(const std::string& start, const std::string& end);

/** Day of the week of a day number: 0 is Sunday, 6 is Saturday. */
int weekday(int64_t day);

/** YYYY-MM in station time. */
std::string station_month(int64_t unix_ms, int32_t utc_offset_seconds);
/** "YYYY-MM-DD HH:MM" in station time, for CSV cells a spreadsheet reads as a time. */
std::string station_minute(int64_t unix_ms, int32_t utc_offset_seconds);
/** True for YYYY-MM with a month 01-12. */
bool valid_month(const std::string& s);
/** `month` moved by `n` months (negative goes back). */
std::string add_months(const std::string& month, int n);
/** The fiscal year (April to March, as municipalities define "1 year") a month falls in. */
int fiscal_year(const std::string& month);
/** The twelve months of fiscal year `fy`, April first. */
std::vector<std::string> fiscal_year_months(int fy);

/** The part of a shift that falls on one station day. */
struct DayPiece {
  int64_t day = 0;
  int64_t worked_ms = 0;
  int64_t overtime_ms = 0;
  int64_t holiday_ms = 0;  // 休日勤務: never also counted as overtime
};

/**
 * Splits a shift at station midnights. On a Saturday or Sunday (the weekly
 * days off, 週休日) all work is overtime; on another day that `calendar`
 * has as a holiday all work is holiday work; on any other day overtime is
 * the work outside the pattern's hours.
 */
std::vector<DayPiece> split_shift(int64_t in_ms, int64_t out_ms, const Pattern& pattern, int32_t utc_offset_seconds,
                                  const HolidayCalendar& calendar);

/** A shift's pieces added up. */
struct WorkTotals {
  int64_t worked_ms = 0;
  int64_t overtime_ms = 0;
  int64_t holiday_ms = 0;
};
WorkTotals shift_totals(int64_t in_ms, int64_t out_ms, const Pattern& pattern, int32_t utc_offset_seconds,
                        const HolidayCalendar& calendar);

/** Limits in hours; defaults from domain.md §4 (人事院規則15-14, 36協定 special clause). */
struct Limits {
  int ordinary_month_h = 45;
  int ordinary_year_h = 360;
  int external_month_h = 100;  // "under 100 h": reaching it is a crossing
  int external_year_h = 720;
  int external_average_h = 80;  // over every 2- to 6-month window
  int external_standard_h = 45;
  int external_months_over_standard = 6;  // per fiscal year
  // Whether holiday work counts toward the externally driven section's
  // monthly limit (under 100 h) and its 2- to 6-month average (80 h). false:
  // 人事院規則15-14 (national public servants), overtime alone. true: the Labour
  // Standards Act's special clause (Art. 36(6)), overtime plus holiday work.
  bool holiday_work_in_special_limits = false;
};

/** One limit evaluated: `over` when the total is past it. */
struct Check {
  std::string kind;    // monthly_limit, yearly_limit, average_limit, monthly_standard, months_over_standard
  std::string period;  // YYYY-MM, FY2026, or YYYY-MM..YYYY-MM for an average window
  double value = 0;    // hours, or a count of months for months_over_standard
  int limit = 0;
  bool over = false;
};

/**
 * Every limit that month `month` takes part in, from overtime and holiday
 * work per month (missing months count as zero). Holiday work counts only
 * with `limits.holiday_work_in_special_limits` (the Labour Standards Act's
 * reading), and then only in the externally driven section's monthly limit
 * and its averages.
 */
std::vector<Check> evaluate_limits(SectionType type, const std::map<std::string, int64_t>& overtime_ms_by_month,
                                   const std::string& month, const Limits& limits,
                                   const std::map<std::string, int64_t>& holiday_ms_by_month = {});

/** Rest between the previous clock-out and this clock-in, when shorter than `rest_hours`. */
std::optional<int64_t> short_rest(std::optional<int64_t> previous_out_ms, int64_t in_ms, int rest_hours);

/** When a shift still open is closed by rule: the first HH:00 at least `after_h` hours after clock-in. */
int64_t auto_close_due(int64_t in_ms, int close_hour, int after_h, int32_t utc_offset_seconds);
/** The clock-out a closed-by-rule shift gets: the pattern's end that day, never before clock-in. */
int64_t auto_close_out(int64_t in_ms, const Pattern& pattern, int32_t utc_offset_seconds);

/** Hours rounded down to a tenth (hours on duty: 13.96 h reads 13.9, never past a limit early). */
double tenths_of_hours(int64_t ms);

/** Hours with two decimals, as text ("8.75"). */
std::string hours_text(int64_t ms);

}  // namespace kazasu::attendance
