// Wall-clock and monotonic time, and RFC 3339 formatting with the station's
// UTC offset (Japan: +09:00). Wall time is read through one function so that
// tests can fix it.
#pragma once

#include <cstdint>
#include <string>

namespace kazasu::clock {

/** Milliseconds since the Unix epoch, plus the offset set for tests. */
int64_t now_unix_ms();
/**
 * Shifts the daemon's wall clock by `offset_ms` (tests of day, month and
 * fiscal-year boundaries); only reachable when [diagnostics] settable_clock is on.
 */
void set_offset_ms(int64_t offset_ms);
/** Parses "2027-03-31T23:59:00+09:00" (or Z) to Unix ms; false when malformed. */
bool parse_rfc3339(const std::string& text, int64_t& unix_ms);
/** Nanoseconds on the monotonic clock, for stage timings. */
int64_t monotonic_ns();
/** The local UTC offset in seconds at the given instant (TZ of the process). */
int32_t utc_offset_seconds(int64_t unix_ms);
/** "2026-11-23T14:20:38.123+09:00": local time with its offset. */
std::string rfc3339(int64_t unix_ms);

}  // namespace kazasu::clock
