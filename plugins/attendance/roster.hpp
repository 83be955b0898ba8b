// The live roster: who is in, where and since when. Sanjo's stated reason for
// tap attendance was to see at once who is in the building when disaster
// strikes (domain.md §1c), so during a declared disaster it also carries hours
// on duty and marks those past the continuous-duty limit.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "records.hpp"

namespace kazasu::attendance {

struct OnDuty {
  Shift shift;          // open shift
  std::string section;  // empty when the staff member was unenrolled since
};

/** `{in: [{staff, section, reader, since[, hours_on_duty, over_limit]}], count, disaster, as_of}`. */
nlohmann::json roster_json(const std::vector<OnDuty>& in, bool disaster, int64_t now_ms, int duty_limit_h,
                           int32_t utc_offset_seconds);

/** True when a shift open since `in_ms` has reached the continuous-duty limit at `now_ms`. */
bool past_duty_limit(int64_t in_ms, int64_t now_ms, int duty_limit_h);

}  // namespace kazasu::attendance
