// Tap ids: UUIDv7 (RFC 9562), time-ordered so that sorting ids sorts taps, and
// unique so subscribers and ledgers can drop duplicates by id.
#pragma once

#include <cstdint>
#include <string>

namespace kazasu {

/** A new UUIDv7 in canonical text form; strictly increasing within this process. */
std::string new_tap_id(int64_t unix_ms);

}  // namespace kazasu
