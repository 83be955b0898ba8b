// The monthly export for payroll and the personnel section: one CSV row per
// shift that counts (corrections applied), in station time.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "records.hpp"

namespace kazasu::attendance {

/**
 * `staff,date,in,out,worked,overtime,holiday` with RFC 4180 quoting; in/out
 * as "YYYY-MM-DD HH:MM" (a night shift ends on the next date), worked,
 * overtime and holiday work in hours with two decimals; an open shift has
 * empty out, worked, overtime and holiday. `pattern_of` gives each staff
 * member's regular hours. The holiday column comes last so that a reader of
 * the older six columns still finds them in place.
 */
std::string export_csv(const std::vector<Effective>& rows, const std::function<Pattern(const std::string&)>& pattern_of,
                       int32_t utc_offset_seconds, const HolidayCalendar& calendar);

}  // namespace kazasu::attendance
