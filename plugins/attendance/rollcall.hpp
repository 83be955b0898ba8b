// The disaster roll-call's arithmetic, as pure functions of shifts and times:
// who has reported since the disaster began, who is on duty and for how long,
// and fatigue (hours on duty in the last 7 days, days without a day of rest).
// Sanjo's irregular disaster shifts made many staff ill (domain.md §1c), so
// the desk sees these for everyone, not only for those in now.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "records.hpp"

namespace kazasu::attendance {

/** How far back the roll-call looks for days without rest (it reads no further). */
constexpr int kRestLookbackDays = 60;

struct Fatigue {
  bool on_duty = false;
  int64_t since_ms = 0;    // the open shift's clock-in, when on duty
  int64_t on_duty_ms = 0;  // now minus since, when on duty
  int64_t last_7d_ms = 0;  // time present in the 7 days before now (clock-in to clock-out, breaks included)
  int days_without_rest = 0;
  std::optional<int64_t> first_report_ms;  // first presence since the disaster began
};

/**
 * One staff member's roll-call line from their shifts (any order, open ones
 * included; those before `now - kRestLookbackDays` days may be left out).
 * Reported: present at any time since `disaster_since_ms`; someone already in
 * when it was declared reported then. Days without rest count back from
 * today the station days with any presence, stopping at the first without;
 * a today without presence yet is skipped (the day is not over).
 */
Fatigue fatigue_of(const std::vector<Shift>& shifts, int64_t disaster_since_ms, int64_t now_ms,
                   int32_t utc_offset_seconds);

}  // namespace kazasu::attendance
