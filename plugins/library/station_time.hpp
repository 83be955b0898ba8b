// Days and timestamps in the station's time (Japan: UTC+9), from the host's
// clock and offset, so "today" at a counter is the day staff see on the wall.
#pragma once

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace kazasu::library {

inline std::tm station_tm(int64_t unix_ms, int32_t utc_offset_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000 + utc_offset_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

/** YYYY-MM-DD in station time. */
inline std::string station_day(int64_t unix_ms, int32_t utc_offset_seconds) {
  const std::tm tm = station_tm(unix_ms, utc_offset_seconds);
  char out[48];
  std::snprintf(out, sizeof out, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return out;
}

/** RFC 3339 with the station's offset, seconds precision. */
inline std::string station_rfc3339(int64_t unix_ms, int32_t utc_offset_seconds) {
  const std::tm tm = station_tm(unix_ms, utc_offset_seconds);
  const int off = utc_offset_seconds < 0 ? -utc_offset_seconds : utc_offset_seconds;
  char out[96];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, utc_offset_seconds < 0 ? '-' : '+', off / 3600,
                (off % 3600) / 60);
  return out;
}

/** True for a real calendar day written YYYY-MM-DD. */
inline bool valid_day(const std::string& day) {
  if (day.size() != 10 || day[4] != '-' || day[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (day[i] < '0' || day[i] > '9') return false;
  }
  const int y = std::stoi(day.substr(0, 4));
  const int m = std::stoi(day.substr(5, 2));
  const int d = std::stoi(day.substr(8, 2));
  if (m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

}  // namespace kazasu::library
