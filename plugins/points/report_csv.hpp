// The monthly report as CSV text: entries per day, facility, event and kind,
// with the points and the number of distinct participants. No names and no
// tokens: the city's reports need counts.
#pragma once

#include <string>
#include <vector>

#include "points_store.hpp"

namespace kazasu::points {

/** The header line is `day,facility,event,kind,entries,points,participants`; lines end in CRLF (RFC 4180). */
std::string report_csv(const std::vector<ReportLine>& lines);

}  // namespace kazasu::points
