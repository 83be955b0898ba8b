// kazasu plugin SDK, optional: days and times in the station's time zone.
//
// The host gives a plugin its clock (host().now_unix_ms()) and the station's
// UTC offset (host().utc_offset_seconds(), 32400 in Japan). "Today" at a
// counter is the day staff see on the wall, so every day boundary a plugin
// keeps (daily counts, shifts, exports) comes from these two numbers and not
// from the machine's time zone. Pure arithmetic on the proleptic Gregorian
// calendar: no <ctime>, no locale, exact for instants before 1970 too.
//
//   const std::string today = kazasu::station_day(host().now_unix_ms(), host().utc_offset_seconds());
//   const auto day = kazasu::parse_day("2027-04-01");          // day number, or nullopt
//   const int64_t midnight = kazasu::station_midnight_ms(*day, 9 * 3600);
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace kazasu {

inline constexpr int64_t kMsPerDay = 24LL * 60 * 60 * 1000;

/** A calendar date. */
struct Civil {
  int y;
  int m;
  int d;
};

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
inline int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/** The date of day number `z` (days since 1970-01-01). */
inline Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return Civil{static_cast<int>(yoe + era * 400) + (m <= 2 ? 1 : 0), m, d};
}

namespace detail {
// Floor division: instants before a station midnight belong to the day before,
// also for negative values.
inline int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}
}  // namespace detail

/** Station-time day number (days since 1970-01-01) of an instant. */
inline int64_t station_day_number(int64_t unix_ms, int32_t utc_offset_seconds) {
  return detail::floor_div(unix_ms + static_cast<int64_t>(utc_offset_seconds) * 1000, kMsPerDay);
}

/** Unix ms of the station midnight that starts day number `day`. */
inline int64_t station_midnight_ms(int64_t day, int32_t utc_offset_seconds) {
  return day * kMsPerDay - static_cast<int64_t>(utc_offset_seconds) * 1000;
}

/** Day number `day` written YYYY-MM-DD. */
inline std::string format_day(int64_t day) {
  const Civil c = civil_from_days(day);
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02d-%02d", c.y, c.m, c.d);
  return out;
}

/** YYYY-MM-DD of an instant in station time. */
inline std::string station_day(int64_t unix_ms, int32_t utc_offset_seconds) {
  return format_day(station_day_number(unix_ms, utc_offset_seconds));
}

/** RFC 3339 with the station's offset, seconds precision: "2027-04-01T08:30:00+09:00". */
inline std::string station_rfc3339(int64_t unix_ms, int32_t utc_offset_seconds) {
  const int64_t day = station_day_number(unix_ms, utc_offset_seconds);
  const int64_t sec = detail::floor_div(unix_ms - station_midnight_ms(day, utc_offset_seconds), 1000);
  const int a = utc_offset_seconds < 0 ? -utc_offset_seconds : utc_offset_seconds;
  char out[64];
  std::snprintf(out, sizeof out, "%sT%02d:%02d:%02d%c%02d:%02d", format_day(day).c_str(), static_cast<int>(sec / 3600),
                static_cast<int>(sec / 60 % 60), static_cast<int>(sec % 60), utc_offset_seconds < 0 ? '-' : '+',
                a / 3600, a % 3600 / 60);
  return out;
}

/** Day number of a real calendar date written YYYY-MM-DD; nullopt for "2027-02-29" or "2027-4-1". */
inline std::optional<int64_t> parse_day(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (const size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  }
  auto number = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const int y = number(0, 4);
  const int m = number(5, 2);
  const int d = number(8, 2);
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  const int64_t n = days_from_civil(y, m, d);
  const Civil back = civil_from_days(n);  // 2027-02-29 comes back as March: not a real day
  if (back.m != m || back.d != d) return std::nullopt;
  return n;
}

/** True for a real calendar date written YYYY-MM-DD. */
inline bool valid_day(std::string_view s) {
  return parse_day(s).has_value();
}

/** Unix ms of a station-time "YYYY-MM-DD HH:MM" (or "YYYY-MM-DDTHH:MM"); nullopt when malformed. */
inline std::optional<int64_t> station_time_ms(std::string_view s, int32_t utc_offset_seconds) {
  if (s.size() != 16 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':') return std::nullopt;
  const auto day = parse_day(s.substr(0, 10));
  for (const size_t i : {11, 12, 14, 15}) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  }
  const int h = (s[11] - '0') * 10 + (s[12] - '0');
  const int m = (s[14] - '0') * 10 + (s[15] - '0');
  if (!day || h > 23 || m > 59) return std::nullopt;
  return station_midnight_ms(*day, utc_offset_seconds) + (int64_t{h} * 60 + m) * 60'000;
}

}  // namespace kazasu
