#include "attendance_config.hpp"

#include <nlohmann/json.hpp>
#include <vector>

namespace kazasu::attendance {
namespace {

// The host has validated types and ranges; a missing key still falls back to
// the declared default so a unit test can pass "{}".
int int_or(const nlohmann::json& j, const char* key, int fallback) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<int>() : fallback;
}

bool bool_or(const nlohmann::json& j, const char* key, bool fallback) {
  return j.contains(key) && j[key].is_boolean() ? j[key].get<bool>() : fallback;
}

std::vector<std::string> strings(const nlohmann::json& j, const char* key) {
  const auto& list = j[key];
  if (!list.is_array()) throw ConfigError(key, "must be a list of strings");
  std::vector<std::string> out;
  for (const auto& v : list) {
    if (!v.is_string()) throw ConfigError(key, "must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

HolidayCalendar calendar_from(const nlohmann::json& j) {
  std::vector<MonthDay> days_off = default_days_off();
  if (j.contains("days_off")) {
    days_off.clear();
    for (const auto& s : strings(j, "days_off")) {
      const auto md = parse_month_day(s);
      if (!md) throw ConfigError("days_off", "\"" + s + "\" is not a day of the year written MM-DD");
      days_off.push_back(*md);
    }
  }
  std::vector<int64_t> extra;
  if (j.contains("extra_holidays")) {
    for (const auto& s : strings(j, "extra_holidays")) {
      const auto day = parse_day(s);
      if (!day) throw ConfigError("extra_holidays", "\"" + s + "\" is not a calendar date written YYYY-MM-DD");
      extra.push_back(*day);
    }
  }
  return HolidayCalendar(std::move(days_off), std::move(extra));
}

}  // namespace

AttendanceConfig parse_config(const std::string& json_text) {
  const auto j = nlohmann::json::parse(json_text.empty() ? "{}" : json_text);
  AttendanceConfig c;
  if (j.contains("enroll_reader") && j["enroll_reader"].is_string()) c.enroll_reader = j["enroll_reader"];
  if (!c.enroll_reader.empty() && !valid_reader_name(c.enroll_reader)) {
    throw ConfigError("enroll_reader", "\"" + c.enroll_reader + "\" is not a reader name ([A-Za-z0-9_-], at most 64)");
  }
  c.enroll_timeout_ms = int64_t{int_or(j, "enroll_timeout_s", 60)} * 1000;
  c.min_gap_ms = int64_t{int_or(j, "min_gap_s", 60)} * 1000;
  c.auto_close_hour = int_or(j, "auto_close_hour", 5);
  c.auto_close_after_h = int_or(j, "auto_close_after_h", 16);
  c.rest_hours = int_or(j, "rest_hours", 11);
  c.duty_limit_h = int_or(j, "duty_limit_h", 24);
  c.doctor_interview_h = int_or(j, "doctor_interview_h", 100);
  c.unpaid_tolerance_ms = int64_t{int_or(j, "unpaid_tolerance_min", 30)} * 60'000;
  c.share_shifts = bool_or(j, "share_shifts", true);
  c.shared_sync_ms = int64_t{int_or(j, "shared_sync_s", 300)} * 1000;
  Limits& l = c.limits;
  l.ordinary_month_h = int_or(j, "ordinary_month_limit_h", l.ordinary_month_h);
  l.ordinary_year_h = int_or(j, "ordinary_year_limit_h", l.ordinary_year_h);
  l.external_month_h = int_or(j, "external_month_limit_h", l.external_month_h);
  l.external_year_h = int_or(j, "external_year_limit_h", l.external_year_h);
  l.external_average_h = int_or(j, "external_average_limit_h", l.external_average_h);
  l.external_standard_h = int_or(j, "external_standard_h", l.external_standard_h);
  l.external_months_over_standard = int_or(j, "external_months_over_standard", l.external_months_over_standard);
  l.holiday_work_in_special_limits = bool_or(j, "holiday_work_in_special_limits", l.holiday_work_in_special_limits);
  if (l.ordinary_year_h < l.ordinary_month_h) {
    throw ConfigError("ordinary_year_limit_h", "must not be below ordinary_month_limit_h");
  }
  if (l.external_year_h < l.external_month_h) {
    throw ConfigError("external_year_limit_h", "must not be below external_month_limit_h");
  }
  c.calendar = calendar_from(j);
  return c;
}

}  // namespace kazasu::attendance
