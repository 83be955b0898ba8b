// The attendance plugin's declared settings and their parsed form.
#pragma once

#include <kazasu/plugin.h>
#include <kazasu/reader_names.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "holidays.hpp"
#include "rules.hpp"

namespace kazasu::attendance {

inline constexpr kazasu_setting kAttendanceSettings[] = {
    {"enroll_reader", KAZASU_SETTING_STRING, "\"\"",
     "Reader armed by attendance/cmd/enroll when the command names none.", 0, 0},
    {"enroll_timeout_s", KAZASU_SETTING_INTEGER, "60", "Seconds an armed reader waits for the card to enroll.", 5,
     3600},
    {"min_gap_s", KAZASU_SETTING_INTEGER, "60",
     "A tap this soon after the last clock-in or clock-out is a double tap and is ignored.", 0, 3600},
    {"auto_close_hour", KAZASU_SETTING_INTEGER, "5",
     "Station hour at which a shift never clocked out is closed by rule.", 0, 23},
    {"auto_close_after_h", KAZASU_SETTING_INTEGER, "16",
     "A shift is closed by rule only once it has been open at least this many hours.", 1, 72},
    {"rest_hours", KAZASU_SETTING_INTEGER, "11",
     "Rest between shifts shorter than this is flagged (勤務間インターバル).", 0, 24},
    {"duty_limit_h", KAZASU_SETTING_INTEGER, "24",
     "During a disaster, continuous duty past this raises attendance/alert.", 1, 168},
    {"ordinary_month_limit_h", KAZASU_SETTING_INTEGER, "45",
     "Overtime per month, ordinary sections (holiday work does not count).", 1, 744},
    {"ordinary_year_limit_h", KAZASU_SETTING_INTEGER, "360",
     "Overtime per fiscal year, ordinary sections (holiday work does not count).", 1, 8784},
    {"external_month_limit_h", KAZASU_SETTING_INTEGER, "100",
     "Overtime per month (plus holiday work with holiday_work_in_special_limits) must stay under this, externally "
     "driven sections.",
     1, 744},
    {"external_year_limit_h", KAZASU_SETTING_INTEGER, "720",
     "Overtime per fiscal year, externally driven sections (holiday work does not count).", 1, 8784},
    {"external_average_limit_h", KAZASU_SETTING_INTEGER, "80",
     "Average monthly overtime (plus holiday work with holiday_work_in_special_limits) over every 2- to 6-month "
     "window, externally driven sections.",
     1, 744},
    {"external_standard_h", KAZASU_SETTING_INTEGER, "45",
     "Monthly overtime (without holiday work) that counts a month as over the standard, externally driven sections.", 1,
     744},
    {"external_months_over_standard", KAZASU_SETTING_INTEGER, "6",
     "Months per fiscal year allowed over the standard, externally driven sections.", 0, 12},
    {"holiday_work_in_special_limits", KAZASU_SETTING_BOOLEAN, "false",
     "false: the externally driven section's 100 h month and 80 h average count overtime alone (人事院規則15-14, "
     "national public servants); true: overtime plus holiday work (Labour Standards Act Art. 36(6)).",
     0, 0},
    {"days_off", KAZASU_SETTING_STRING_LIST, R"(["12-29", "12-30", "12-31", "01-02", "01-03"])",
     "Days off every year by the city's ordinance besides the national holidays, as \"MM-DD\" (the year-end and "
     "new-year days, 地方自治法 Art. 4-2); work on one is holiday work unless it falls on a Saturday or Sunday.",
     0, 0},
    {"doctor_interview_h", KAZASU_SETTING_INTEGER, "100",
     "A month whose overtime plus holiday work is over this flags the staff member for the doctor's interview in "
     "the disaster roll-call.",
     1, 744},
    {"unpaid_tolerance_min", KAZASU_SETTING_INTEGER, "30",
     "The overtime report flags a day whose overtime by the taps exceeds the overtime claimed by more than this.", 0,
     1440},
    {"share_shifts", KAZASU_SETTING_BOOLEAN, "true",
     "Record open shifts in the shared state, so that a shift begun at one station can end at another.", 0, 0},
    {"shared_sync_s", KAZASU_SETTING_INTEGER, "300",
     "How often a station checks the shared state for its open shifts ended at another station (0: only on taps "
     "and when closing by rule).",
     0, 86400},
    {"extra_holidays", KAZASU_SETTING_STRING_LIST, "[]",
     "Further single days off the city declares, as \"YYYY-MM-DD\"; work on one is holiday work unless it falls on "
     "a Saturday or Sunday.",
     0, 0},
};

struct AttendanceConfig {
  std::string enroll_reader;
  int64_t enroll_timeout_ms = 60'000;
  int64_t min_gap_ms = 60'000;
  int auto_close_hour = 5;
  int auto_close_after_h = 16;
  int rest_hours = 11;
  int duty_limit_h = 24;
  int doctor_interview_h = 100;
  int64_t unpaid_tolerance_ms = 30 * 60'000;
  bool share_shifts = true;
  int64_t shared_sync_ms = 300'000;
  Limits limits;
  HolidayCalendar calendar;
};

/** A setting the host's type and range checks let through but the plugin cannot use. */
class ConfigError : public std::invalid_argument {
 public:
  ConfigError(std::string key, std::string message)
      : std::invalid_argument(key + ": " + message), key_(std::move(key)), message_(std::move(message)) {}
  [[nodiscard]] const std::string& key() const { return key_; }
  /** What is wrong, without the key (what() has both). */
  [[nodiscard]] const std::string& message() const { return message_; }

 private:
  std::string key_;
  std::string message_;
};

// Reader names: kazasu::valid_reader_name (kazasu/reader_names.hpp).

/** Parses the host's config JSON (defaults filled in by the host); throws ConfigError. */
AttendanceConfig parse_config(const std::string& json_text);

}  // namespace kazasu::attendance
