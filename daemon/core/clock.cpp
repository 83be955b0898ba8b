#include "core/clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace kazasu::clock {

int64_t now_unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t monotonic_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

namespace {
std::tm local_tm(int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  return tm;
}
}  // namespace

int32_t utc_offset_seconds(int64_t unix_ms) { return static_cast<int32_t>(local_tm(unix_ms).tm_gmtoff); }

std::string rfc3339(int64_t unix_ms) {
  const std::tm tm = local_tm(unix_ms);
  const long off = tm.tm_gmtoff;
  const long off_abs = off < 0 ? -off : off;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000),
                off < 0 ? '-' : '+', off_abs / 3600, (off_abs % 3600) / 60);
  return buf;
}

}  // namespace kazasu::clock
