#include "attendance_config.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace kazasu::attendance {
namespace {

// The host has validated types and ranges; a missing key still falls back to
// the declared default so a unit test can pass "{}".
int int_or(const nlohmann::json& j, const char* key, int fallback) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<int>() : fallback;
}

}  // namespace

AttendanceConfig parse_config(const std::string& json_text) {
  const auto j = nlohmann::json::parse(json_text.empty() ? "{}" : json_text);
  AttendanceConfig c;
  if (j.contains("enroll_reader") && j["enroll_reader"].is_string()) c.enroll_reader = j["enroll_reader"];
  c.enroll_timeout_ms = int64_t{int_or(j, "enroll_timeout_s", 60)} * 1000;
  c.min_gap_ms = int64_t{int_or(j, "min_gap_s", 60)} * 1000;
  c.auto_close_hour = int_or(j, "auto_close_hour", 5);
  c.auto_close_after_h = int_or(j, "auto_close_after_h", 16);
  c.rest_hours = int_or(j, "rest_hours", 11);
  c.duty_limit_h = int_or(j, "duty_limit_h", 24);
  Limits& l = c.limits;
  l.ordinary_month_h = int_or(j, "ordinary_month_limit_h", l.ordinary_month_h);
  l.ordinary_year_h = int_or(j, "ordinary_year_limit_h", l.ordinary_year_h);
  l.external_month_h = int_or(j, "external_month_limit_h", l.external_month_h);
  l.external_year_h = int_or(j, "external_year_limit_h", l.external_year_h);
  l.external_average_h = int_or(j, "external_average_limit_h", l.external_average_h);
  l.external_standard_h = int_or(j, "external_standard_h", l.external_standard_h);
  l.external_months_over_standard = int_or(j, "external_months_over_standard", l.external_months_over_standard);
  if (l.ordinary_year_h < l.ordinary_month_h) {
    throw std::invalid_argument("ordinary_year_limit_h must not be below ordinary_month_limit_h");
  }
  if (l.external_year_h < l.external_month_h) {
    throw std::invalid_argument("external_year_limit_h must not be below external_month_limit_h");
  }
  return c;
}

}  // namespace kazasu::attendance
