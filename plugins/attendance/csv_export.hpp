// The monthly export for payroll and the personnel section: one CSV row per
// shift that counts (corrections applied), in station time.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "records.hpp"

namespace kazasu::attendance {

/** A staff member's pattern in force on a station day. */
using StaffPatternOf = std::function<Pattern(const std::string& staff, int64_t day)>;

/**
 * `staff,date,in,out,worked,overtime,holiday,break` with RFC 4180 quoting;
 * in/out as "YYYY-MM-DD HH:MM" (a night shift ends on the next date), worked
 * (less the break), overtime, holiday work and the break deducted in hours
 * with two decimals; an open shift has them empty. `pattern_of` gives each
 * staff member's pattern in force on each day. New columns come last so that
 * a reader of the older ones still finds them in place.
 */
std::string export_csv(const std::vector<Effective>& rows, const StaffPatternOf& pattern_of, int32_t utc_offset_seconds,
                       const HolidayCalendar& calendar);

}  // namespace kazasu::attendance
