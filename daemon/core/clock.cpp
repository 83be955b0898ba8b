#include "core/clock.hpp"

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace kazasu::clock {

namespace {
std::atomic<int64_t> g_offset_ms{0};
}

int64_t now_unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() + g_offset_ms.load();
}

void set_offset_ms(int64_t offset_ms) {
  g_offset_ms.store(offset_ms);
}

bool parse_rfc3339(const std::string& text, int64_t& unix_ms) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6) return false;
  std::string rest = text.substr(static_cast<size_t>(n));
  int64_t ms = 0;
  if (!rest.empty() && rest[0] == '.') {
    size_t i = 1;
    int digits = 0;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) {
      if (digits < 3) ms = ms * 10 + (rest[i] - '0');
      ++digits;
      ++i;
    }
    for (; digits < 3; ++digits) ms *= 10;
    rest = rest.substr(i);
  }
  int offset_s = 0;
  if (rest == "Z") {
    offset_s = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    const int oh = std::stoi(rest.substr(1, 2));
    const int om = std::stoi(rest.substr(4, 2));
    offset_s = (oh * 3600 + om * 60) * (rest[0] == '-' ? -1 : 1);
  } else {
    return false;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const std::time_t t = timegm(&tm);
  unix_ms = (static_cast<int64_t>(t) - offset_s) * 1000 + ms;
  return true;
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

int32_t utc_offset_seconds(int64_t unix_ms) {
  return static_cast<int32_t>(local_tm(unix_ms).tm_gmtoff);
}

std::string rfc3339(int64_t unix_ms) {
  const std::tm tm = local_tm(unix_ms);
  const long off = tm.tm_gmtoff;
  const long off_abs = off < 0 ? -off : off;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000), off < 0 ? '-' : '+',
                off_abs / 3600, (off_abs % 3600) / 60);
  return buf;
}

}  // namespace kazasu::clock
