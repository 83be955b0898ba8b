#include "csv_export.hpp"

namespace kazasu::attendance {
namespace {

// RFC 4180: quote a cell holding a comma, quote or line break, doubling quotes.
// Cells starting with = + - @ get a leading quote mark so a spreadsheet does
// not run a staff-typed value as a formula.
std::string cell(const std::string& v) {
  std::string s = v;
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) s = "'" + s;
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string export_csv(const std::vector<Effective>& rows, const StaffPatternOf& pattern_of, int32_t off,
                       const HolidayCalendar& calendar) {
  std::string out = "staff,date,in,out,worked,overtime,holiday,break\r\n";
  for (const auto& r : rows) {
    out += cell(r.staff) + "," + format_day(r.day) + "," + station_minute(r.in_ms, off) + ",";
    if (r.out_ms) {
      const WorkTotals w = shift_totals(
          r.in_ms, *r.out_ms, [&](int64_t day) { return pattern_of(r.staff, day); }, off, calendar);
      out += station_minute(*r.out_ms, off) + "," + hours_text(w.worked_ms) + "," + hours_text(w.overtime_ms) + "," +
             hours_text(w.holiday_ms) + "," + hours_text(w.break_ms);
    } else {
      out += ",,,,";
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace kazasu::attendance
