#include "rollcall.hpp"

#include <algorithm>
#include <set>

namespace kazasu::attendance {

Fatigue fatigue_of(const std::vector<Shift>& shifts, int64_t since, int64_t now, int32_t off) {
  Fatigue f;
  std::set<int64_t> days;
  const int64_t week_ago = now - 7 * kMsPerDay;
  const int64_t first_day = station_day_number(now, off) - kRestLookbackDays;
  for (const auto& s : shifts) {
    if (s.in_ms > now) continue;  // a clock the host's clock has not reached (a clock set back)
    const int64_t end = std::min(s.out_ms.value_or(now), now);
    if (!s.out_ms && (!f.on_duty || s.in_ms > f.since_ms)) {
      f.on_duty = true;
      f.since_ms = s.in_ms;
    }
    if (end >= since) {
      const int64_t t = std::max(s.in_ms, since);
      if (!f.first_report_ms || t < *f.first_report_ms) f.first_report_ms = t;
    }
    f.last_7d_ms += std::max<int64_t>(0, end - std::max(s.in_ms, week_ago));
    if (end <= s.in_ms) continue;
    const int64_t last = station_day_number(end - 1, off);
    for (int64_t d = std::max(station_day_number(s.in_ms, off), first_day); d <= last; ++d) days.insert(d);
  }
  if (f.on_duty) f.on_duty_ms = now - f.since_ms;
  int64_t d = station_day_number(now, off);
  if (days.count(d) == 0) --d;
  while (days.count(d) != 0 && f.days_without_rest < kRestLookbackDays) {
    ++f.days_without_rest;
    --d;
  }
  return f;
}

}  // namespace kazasu::attendance
