// A SIP2 client for one question per tap: "who is patron N in the ILS?".
// Each lookup opens its own TCP connection, logs in when a login is
// configured, asks, and closes, all under one deadline (sip2_timeout_ms), so
// a slow or dead ILS costs a tap at most that long and never leaves a
// half-read connection behind for the next patron.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "charset.hpp"
#include "library_config.hpp"
#include "sip2_message.hpp"

namespace kazasu::library {

struct Sip2Lookup {
  bool ok = false;
  sip2::PatronInfo info;  // when ok
  std::string reason;     // when not ok: timeout, connect_failed, login_refused, bad_checksum, protocol_error
  std::string detail;     // a sentence for the log (no patron data)
};

class Sip2Client {
 public:
  /** Throws std::invalid_argument for an unknown charset. */
  explicit Sip2Client(Sip2Config config);

  /** Asks the ILS about `patron`; `now_ms` and the offset date the request. */
  Sip2Lookup lookup(const std::string& patron, int64_t now_ms, int32_t utc_offset_seconds);

 private:
  Sip2Config config_;
  Charset charset_;
  int sequence_ = 0;  // AY cycles 0..9 across requests
};

}  // namespace kazasu::library
