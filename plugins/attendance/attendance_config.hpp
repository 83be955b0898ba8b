// The attendance plugin's declared settings and their parsed form.
#pragma once

#include <kazasu/plugin.h>

#include <cstdint>
#include <string>

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
    {"ordinary_month_limit_h", KAZASU_SETTING_INTEGER, "45", "Overtime per month, ordinary sections.", 1, 744},
    {"ordinary_year_limit_h", KAZASU_SETTING_INTEGER, "360", "Overtime per fiscal year, ordinary sections.", 1, 8784},
    {"external_month_limit_h", KAZASU_SETTING_INTEGER, "100",
     "Overtime per month must stay under this, externally driven sections.", 1, 744},
    {"external_year_limit_h", KAZASU_SETTING_INTEGER, "720", "Overtime per fiscal year, externally driven sections.", 1,
     8784},
    {"external_average_limit_h", KAZASU_SETTING_INTEGER, "80",
     "Average monthly overtime over every 2- to 6-month window, externally driven sections.", 1, 744},
    {"external_standard_h", KAZASU_SETTING_INTEGER, "45",
     "Monthly overtime that counts a month as over the standard, externally driven sections.", 1, 744},
    {"external_months_over_standard", KAZASU_SETTING_INTEGER, "6",
     "Months per fiscal year allowed over the standard, externally driven sections.", 0, 12},
};

struct AttendanceConfig {
  std::string enroll_reader;
  int64_t enroll_timeout_ms = 60'000;
  int64_t min_gap_ms = 60'000;
  int auto_close_hour = 5;
  int auto_close_after_h = 16;
  int rest_hours = 11;
  int duty_limit_h = 24;
  Limits limits;
};

/** Parses the host's config JSON (defaults filled in by the host); throws naming the key. */
AttendanceConfig parse_config(const std::string& json_text);

}  // namespace kazasu::attendance
