// Wall-clock and monotonic time, and RFC 3339 formatting with the station's
// UTC offset (Japan: +09:00). Wall time is read through one function so that
// tests can fix it.
#pragma once

#include <cstdint>
#include <string>

namespace kazasu::clock {

/** Milliseconds since the Unix epoch. */
int64_t now_unix_ms();
/** Nanoseconds on the monotonic clock, for stage timings. */
int64_t monotonic_ns();
/** The local UTC offset in seconds at the given instant (TZ of the process). */
int32_t utc_offset_seconds(int64_t unix_ms);
/** "2026-11-23T14:20:38.123+09:00": local time with its offset. */
std::string rfc3339(int64_t unix_ms);

}  // namespace kazasu::clock
