#include "rules.hpp"

#include <cmath>

#include <algorithm>
#include <cstdio>

namespace kazasu::attendance {
namespace {

bool digits(const std::string& s, std::initializer_list<size_t> at) {
  for (const size_t i : at) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

int month_index(const std::string& month) {
  return std::stoi(month.substr(0, 4)) * 12 + std::stoi(month.substr(5, 2)) - 1;
}

std::string month_from_index(int idx) {
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02d", idx / 12, idx % 12 + 1);
  return out;
}

int64_t total(const std::map<std::string, int64_t>& by_month, const std::string& month) {
  const auto it = by_month.find(month);
  return it != by_month.end() ? it->second : 0;
}

double as_hours(int64_t ms) {
  return static_cast<double>(ms) / static_cast<double>(kMsPerHour);
}

}  // namespace

std::optional<SectionType> parse_section_type(const std::string& s) {
  if (s == "ordinary") return SectionType::ordinary;
  if (s == "external") return SectionType::external;
  return std::nullopt;
}

const char* to_string(SectionType t) {
  return t == SectionType::external ? "external" : "ordinary";
}

std::optional<int> parse_hhmm(const std::string& s) {
  if (s.size() != 5 || s[2] != ':' || !digits(s, {0, 1, 3, 4})) return std::nullopt;
  const int h = std::stoi(s.substr(0, 2));
  const int m = std::stoi(s.substr(3, 2));
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

std::string format_hhmm(int minutes) {
  char out[16];
  std::snprintf(out, sizeof out, "%02d:%02d", (minutes / 60) % 100, minutes % 60);
  return out;
}

int statutory_break_min(int span_min) {
  if (span_min > 8 * 60) return 60;
  if (span_min > 6 * 60) return 45;
  return 0;
}

namespace {
constexpr const char* kWeekdays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
}  // namespace

std::optional<int> parse_weekday(const std::string& s) {
  for (int i = 0; i < 7; ++i) {
    if (s == kWeekdays[i]) return i;
  }
  return std::nullopt;
}

const char* weekday_name(int weekday) {
  return kWeekdays[((weekday % 7) + 7) % 7];
}

std::optional<Pattern> make_pattern(const std::string& start, const std::string& end, std::optional<int> break_min,
                                    std::optional<unsigned> days_off) {
  const auto s = parse_hhmm(start);
  const auto e = parse_hhmm(end);
  if (!s || !e || *e <= *s) return std::nullopt;
  const int span = *e - *s;
  const int brk = break_min.value_or(statutory_break_min(span));
  if (brk < 0 || brk >= span) return std::nullopt;
  const unsigned off = days_off.value_or(kSaturdayAndSunday);
  // A pattern without a working day would make every day overtime.
  if (off >= (1U << 7) - 1) return std::nullopt;
  return Pattern{*s, *e, brk, off};
}

int weekday(int64_t day) {
  return static_cast<int>((day % 7 + 11) % 7);  // 1970-01-01 was a Thursday
}

std::string station_month(int64_t unix_ms, int32_t off) {
  return station_day(unix_ms, off).substr(0, 7);
}

std::string station_minute(int64_t unix_ms, int32_t off) {
  const std::string t = station_rfc3339(unix_ms, off);
  return t.substr(0, 10) + " " + t.substr(11, 5);
}

bool valid_month(const std::string& s) {
  if (s.size() != 7 || s[4] != '-' || !digits(s, {0, 1, 2, 3, 5, 6})) return false;
  const int m = std::stoi(s.substr(5, 2));
  return m >= 1 && m <= 12;
}

std::string add_months(const std::string& month, int n) {
  return month_from_index(month_index(month) + n);
}

int fiscal_year(const std::string& month) {
  const int y = std::stoi(month.substr(0, 4));
  return std::stoi(month.substr(5, 2)) >= 4 ? y : y - 1;
}

std::vector<std::string> fiscal_year_months(int fy) {
  std::vector<std::string> out;
  out.reserve(12);
  for (int i = 0; i < 12; ++i) out.push_back(month_from_index(fy * 12 + 3 + i));
  return out;
}

std::vector<DayPiece> split_shift(int64_t in_ms, int64_t out_ms, const PatternOf& pattern_of, int32_t off,
                                  const HolidayCalendar& calendar) {
  std::vector<DayPiece> pieces;
  for (int64_t t = in_ms; t < out_ms;) {
    const int64_t day = station_day_number(t, off);
    const int64_t midnight = station_midnight_ms(day, off);
    const int64_t end = std::min(out_ms, midnight + kMsPerDay);
    const Pattern pattern = pattern_of(day);
    DayPiece p{day, end - t, end - t, 0, 0};
    // On a weekly day off everything stays overtime, holiday or not: a
    // holiday on a weekly day off excuses no regular hours, so working it is
    // weekend work like any other (超過勤務, not 休日勤務).
    const bool weekly_day_off = pattern.day_off(weekday(day));
    if (!weekly_day_off && calendar.is_holiday(day)) {
      p.holiday_ms = p.overtime_ms;
      p.overtime_ms = 0;
    } else if (!weekly_day_off) {
      const int64_t regular_from = midnight + pattern.start_min * kMsPerMinute;
      const int64_t regular_to = midnight + pattern.end_min * kMsPerMinute;
      p.overtime_ms -= std::max<int64_t>(0, std::min(end, regular_to) - std::max(t, regular_from));
    }
    pieces.push_back(p);
    t = end;
  }
  // The break: once per shift, when it is long enough to need one. Taken
  // from the regular hours first, where the pattern places it, so that it
  // never shortens overtime a shift with enough regular hours worked; a
  // shift with too few (a weekend or night shift) has it from its first
  // hours outside them.
  if (out_ms - in_ms <= kBreakAfterMs || pieces.empty()) return pieces;
  int64_t left = std::min<int64_t>(pattern_of(pieces.front().day).break_min * kMsPerMinute, out_ms - in_ms);
  auto take = [&left](DayPiece& p, int64_t& from) {
    const int64_t n = std::min(left, from);
    from -= n;
    p.worked_ms -= n;
    p.break_ms += n;
    left -= n;
  };
  for (auto& p : pieces) {
    int64_t regular = p.worked_ms - p.overtime_ms - p.holiday_ms;
    take(p, regular);
  }
  for (auto& p : pieces) {
    take(p, p.overtime_ms);
    take(p, p.holiday_ms);
  }
  return pieces;
}

std::vector<DayPiece> split_shift(int64_t in_ms, int64_t out_ms, const Pattern& pattern, int32_t off,
                                  const HolidayCalendar& calendar) {
  return split_shift(
      in_ms, out_ms, [&pattern](int64_t) { return pattern; }, off, calendar);
}

WorkTotals shift_totals(int64_t in_ms, int64_t out_ms, const PatternOf& pattern_of, int32_t off,
                        const HolidayCalendar& calendar) {
  WorkTotals sum;
  for (const auto& p : split_shift(in_ms, out_ms, pattern_of, off, calendar)) {
    sum.worked_ms += p.worked_ms;
    sum.overtime_ms += p.overtime_ms;
    sum.holiday_ms += p.holiday_ms;
    sum.break_ms += p.break_ms;
  }
  return sum;
}

WorkTotals shift_totals(int64_t in_ms, int64_t out_ms, const Pattern& pattern, int32_t off,
                        const HolidayCalendar& calendar) {
  return shift_totals(
      in_ms, out_ms, [&pattern](int64_t) { return pattern; }, off, calendar);
}

std::vector<Check> evaluate_limits(SectionType type, const std::map<std::string, int64_t>& by_month,
                                   const std::string& month, const Limits& limits,
                                   const std::map<std::string, int64_t>& holiday_by_month) {
  std::vector<Check> checks;
  const int fy = fiscal_year(month);
  const std::string fy_name = "FY" + std::to_string(fy);
  int64_t year_ms = 0;
  int months_over_standard = 0;
  const int standard = type == SectionType::external ? limits.external_standard_h : limits.ordinary_month_h;
  for (const auto& m : fiscal_year_months(fy)) {
    year_ms += total(by_month, m);
    if (total(by_month, m) > standard * kMsPerHour) ++months_over_standard;
  }
  const int64_t month_ms = total(by_month, month);
  if (type == SectionType::ordinary) {
    checks.push_back({"monthly_limit", month, as_hours(month_ms), limits.ordinary_month_h,
                      month_ms > limits.ordinary_month_h * kMsPerHour});
    checks.push_back({"yearly_limit", fy_name, as_hours(year_ms), limits.ordinary_year_h,
                      year_ms > limits.ordinary_year_h * kMsPerHour});
    return checks;
  }
  // 人事院規則15-14 puts the "under 100 h" and the 80 h average on overtime
  // alone; the Labour Standards Act's special clause (Art. 36(6)) counts
  // overtime plus holiday work there. The 720 h and the months over 45 h count
  // overtime only under both.
  auto with_holiday_work = [&](const std::string& m) {
    return total(by_month, m) + (limits.holiday_work_in_special_limits ? total(holiday_by_month, m) : 0);
  };
  const int64_t month_with_holiday_ms = with_holiday_work(month);
  checks.push_back({"monthly_standard", month, as_hours(month_ms), limits.external_standard_h,
                    month_ms > limits.external_standard_h * kMsPerHour});
  checks.push_back({"monthly_limit", month, as_hours(month_with_holiday_ms), limits.external_month_h,
                    month_with_holiday_ms >= limits.external_month_h * kMsPerHour});
  checks.push_back({"yearly_limit", fy_name, as_hours(year_ms), limits.external_year_h,
                    year_ms > limits.external_year_h * kMsPerHour});
  checks.push_back({"months_over_standard", fy_name, static_cast<double>(months_over_standard),
                    limits.external_months_over_standard, months_over_standard > limits.external_months_over_standard});
  // Every 2- to 6-month window that contains `month`, since a correction can
  // change a past month and so windows ending after it.
  for (int n = 2; n <= 6; ++n) {
    for (int last = 0; last < n; ++last) {
      const std::string to = add_months(month, last);
      const std::string from = add_months(to, -(n - 1));
      int64_t sum = 0;
      for (int i = 0; i < n; ++i) sum += with_holiday_work(add_months(from, i));
      std::string window = from;
      window += "..";
      window += to;
      checks.push_back({"average_limit", std::move(window), as_hours(sum) / n, limits.external_average_h,
                        sum > static_cast<int64_t>(limits.external_average_h) * n * kMsPerHour});
    }
  }
  return checks;
}

std::optional<int64_t> short_rest(std::optional<int64_t> previous_out_ms, int64_t in_ms, int rest_hours) {
  if (!previous_out_ms) return std::nullopt;
  const int64_t rest = in_ms - *previous_out_ms;
  if (rest >= rest_hours * kMsPerHour) return std::nullopt;
  return std::max<int64_t>(0, rest);
}

int64_t auto_close_due(int64_t in_ms, int close_hour, int after_h, int32_t off) {
  const int64_t earliest = in_ms + after_h * kMsPerHour;
  const int64_t day = station_day_number(earliest, off);
  int64_t due = station_midnight_ms(day, off) + close_hour * kMsPerHour;
  if (due < earliest) due += kMsPerDay;
  return due;
}

int64_t auto_close_out(int64_t in_ms, const Pattern& pattern, int32_t off) {
  const int64_t end = station_midnight_ms(station_day_number(in_ms, off), off) + pattern.end_min * kMsPerMinute;
  return std::max(in_ms, end);
}

double tenths_of_hours(int64_t ms) {
  return std::floor(static_cast<double>(ms) / kMsPerHour * 10) / 10;
}

std::string hours_text(int64_t ms) {
  const int64_t hundredths = (ms * 100 + kMsPerHour / 2) / kMsPerHour;
  char out[32];
  std::snprintf(out, sizeof out, "%lld.%02lld", static_cast<long long>(hundredths / 100),
                static_cast<long long>(hundredths % 100));
  return out;
}

std::string signed_hours_text(int64_t ms) {
  if (ms >= 0) return hours_text(ms);
  // Built in place: GCC 12 misreads `"-" + std::string` as an overlapping copy (-Wrestrict).
  std::string out(1, '-');
  out += hours_text(-ms);
  return out;
}

}  // namespace kazasu::attendance
