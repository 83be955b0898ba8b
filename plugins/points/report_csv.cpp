#include "report_csv.hpp"

namespace kazasu::points {

std::string report_csv(const std::vector<ReportLine>& lines) {
  // Ids are [A-Za-z0-9_-] and days digits and dashes, so no field needs quoting.
  std::string out = "day,facility,event,kind,entries,points,participants\r\n";
  for (const auto& l : lines) {
    out += l.day + "," + l.facility + "," + l.event + "," + l.kind + "," + std::to_string(l.entries) + "," +
           std::to_string(l.points) + "," + std::to_string(l.participants) + "\r\n";
  }
  return out;
}

}  // namespace kazasu::points
