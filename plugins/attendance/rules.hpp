// Attendance rules as pure functions of times and totals: station-time days,
// months and fiscal years, overtime and holiday work of a shift, the limits
// of domain.md §4, rest between shifts and the missing-clock-out rule. No
// clock and no database here, so every boundary can be tested with plain
// numbers.
#pragma once

#include <kazasu/station_time.hpp>

#include <cstdint>
#include <functional>
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

/** Weekday bits of Pattern::days_off: bit 0 is Sunday, bit 6 Saturday (as weekday()). */
constexpr unsigned kSaturdayAndSunday = (1U << 0) | (1U << 6);

/**
 * A work pattern: regular hours of a working day (minutes after station
 * midnight), the break taken in them, and the weekly days off (週休日).
 */
struct Pattern {
  int start_min = 8 * 60 + 30;  // 08:30-17:15: the usual municipal pattern
  int end_min = 17 * 60 + 15;
  int break_min = 60;                      // 08:30-17:15 less 60 min: the usual 7 h 45 min of work
  unsigned days_off = kSaturdayAndSunday;  // a rota (fire station, weekend library) sets its own
  [[nodiscard]] bool day_off(int weekday) const { return ((days_off >> weekday) & 1U) != 0; }
  bool operator==(const Pattern&) const = default;
};

/**
 * The break a pattern gets when none is given: the Labour Standards Act
 * Art. 34 (at least 45 min over 6 h of work, 60 min over 8 h), read on the
 * pattern's span, so 08:30-17:15 has 60 min and 7 h 45 min of work.
 */
int statutory_break_min(int span_min);

/** A shift longer than this (clock-in to clock-out) has the pattern's break deducted. */
constexpr int64_t kBreakAfterMs = 6 * 60 * 60'000;

/** "sun".."sat" to 0..6. */
std::optional<int> parse_weekday(const std::string& s);
/** 0..6 to "sun".."sat". */
const char* weekday_name(int weekday);

enum class SectionType { ordinary, external };

std::optional<SectionType> parse_section_type(const std::string& s);
const char* to_string(SectionType t);

/** "HH:MM" (00:00-23:59) to minutes after midnight. */
std::optional<int> parse_hhmm(const std::string& s);
std::string format_hhmm(int minutes);
/**
 * A pattern whose end is after its start on the same day, with a break
 * shorter than the span (default: statutory_break_min) and the weekly days
 * off (default Saturday and Sunday; at least one working day is left).
 */
std::optional<Pattern> make_pattern(const std::string& start, const std::string& end,
                                    std::optional<int> break_min = std::nullopt,
                                    std::optional<unsigned> days_off = std::nullopt);

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
  int64_t worked_ms = 0;  // less the part of the break deducted from this day
  int64_t overtime_ms = 0;
  int64_t holiday_ms = 0;  // 休日勤務: never also counted as overtime
  int64_t break_ms = 0;    // the part of the shift's break deducted from this day
};

/** The pattern in force on a station day (patterns are effective-dated). */
using PatternOf = std::function<Pattern(int64_t day)>;

/**
 * Splits a shift at station midnights, each day under the pattern in force
 * that day. On one of the pattern's weekly days off (週休日; Saturday and
 * Sunday by default) all work is overtime; on another day that `calendar`
 * has as a holiday all work is holiday work; on any other day overtime is
 * the work outside the pattern's hours. A shift longer than kBreakAfterMs
 * has the break of the pattern in force on its first day deducted once:
 * first from its regular hours (where the pattern places the break), then,
 * when they cannot hold it, from its first hours of overtime or holiday work.
 */
std::vector<DayPiece> split_shift(int64_t in_ms, int64_t out_ms, const PatternOf& pattern_of,
                                  int32_t utc_offset_seconds, const HolidayCalendar& calendar);
std::vector<DayPiece> split_shift(int64_t in_ms, int64_t out_ms, const Pattern& pattern, int32_t utc_offset_seconds,
                                  const HolidayCalendar& calendar);

/** A shift's pieces added up. */
struct WorkTotals {
  int64_t worked_ms = 0;  // clock-in to clock-out less the break
  int64_t overtime_ms = 0;
  int64_t holiday_ms = 0;
  int64_t break_ms = 0;
};
WorkTotals shift_totals(int64_t in_ms, int64_t out_ms, const PatternOf& pattern_of, int32_t utc_offset_seconds,
                        const HolidayCalendar& calendar);
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
/** Hours with two decimals and a sign when negative ("-0.50"). */
std::string signed_hours_text(int64_t ms);

}  // namespace kazasu::attendance
