// A tap as it travels through the daemon: born in a reader driver, identified,
// dispatched to plugins. The identity's subject (serial, UID, free-area ID)
// never leaves the identify stage except as a purpose-bound token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kazasu {

/** Monotonic timestamps (ns) of a tap's stages; zero means "not reached". */
struct StageTimes {
  int64_t detected_ns = 0;
  int64_t identified_ns = 0;
  int64_t plugins_done_ns = 0;
  int64_t committed_ns = 0;
  int64_t acked_ns = 0;
};

/** What a card proved about itself. `subject` is secret: only tokens derived from it leave. */
struct CardIdentity {
  std::string kind;       // "jpki", "freearea", "uid"
  std::string assurance;  // "fast", "verified", "possession", "uid"
  std::string issuer;     // certificate issuer DN, free-area AID, or "" for UIDs
  std::string subject;    // certificate serial, free-area ID or UID bytes (hex)
};

struct Tap {
  std::string id;  // UUIDv7, assigned at detection
  std::string reader;
  int64_t detected_unix_ms = 0;
  StageTimes times;
  std::string status = "ok";             // "ok" or a failure reason
  std::string message;                   // staff-readable explanation of status
  std::optional<CardIdentity> identity;  // set when status is "ok"
};

}  // namespace kazasu
