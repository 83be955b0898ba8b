#include "roster.hpp"

#include <cmath>

namespace kazasu::attendance {

bool past_duty_limit(int64_t in_ms, int64_t now_ms, int duty_limit_h) {
  return now_ms - in_ms >= duty_limit_h * kMsPerHour;
}

nlohmann::json roster_json(const std::vector<OnDuty>& in, bool disaster, int64_t now_ms, int duty_limit_h,
                           int32_t off) {
  auto list = nlohmann::json::array();
  for (const auto& d : in) {
    nlohmann::json e{{"staff", d.shift.staff},
                     {"section", d.section},
                     {"reader", d.shift.in_reader},
                     {"since", station_rfc3339(d.shift.in_ms, off)}};
    if (disaster) {
      // Tenths of an hour: enough to rotate staff, and stable between taps.
      e["hours_on_duty"] = tenths_of_hours(now_ms - d.shift.in_ms);
      e["over_limit"] = past_duty_limit(d.shift.in_ms, now_ms, duty_limit_h);
    }
    list.push_back(std::move(e));
  }
  return nlohmann::json{
      {"in", list}, {"count", in.size()}, {"disaster", disaster}, {"as_of", station_rfc3339(now_ms, off)}};
}

}  // namespace kazasu::attendance
