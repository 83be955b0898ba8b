// Append-only APDU trace: "> HEX" commands, "< HEX" responses, "# ..." events.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "bytes.hpp"
#include "unique_fd.hpp"

namespace kazasu::cardsim {

class Trace {
 public:
  Trace() = default;  // disabled: every call is a no-op
  explicit Trace(const std::filesystem::path& path);

  void command(const Bytes& apdu) { line("> " + to_hex(apdu)); }
  void response(const Bytes& rapdu) { line("< " + to_hex(rapdu)); }
  void event(const std::string& text) { line("# " + text); }

 private:
  // One write(2) per line on an O_APPEND fd: lines stay whole even if two simulators
  // share a file, and a killed simulator leaves a complete trace.
  void line(const std::string& text);

  UniqueFd fd_;
};

// `run --stamps FILE`: CLOCK_MONOTONIC nanoseconds of each insertion, each APDU's
// arrival and reply, and each removal, so bench/tap can time a tap from its first APDU
// against a subscriber's arrival clock (one clock for every process on the machine).
// Lines: "insert NS", "apdu IN_NS OUT_NS CLA-INS-P1-P2 (hex)", "remove NS". Only the
// command header: a VERIFY's body is the PIN.
class Stamps {
 public:
  Stamps() = default;  // disabled
  explicit Stamps(const std::filesystem::path& path);

  bool enabled() const { return static_cast<bool>(fd_); }
  static std::int64_t now_ns();
  void insert() { line("insert " + std::to_string(now_ns())); }
  void remove() { line("remove " + std::to_string(now_ns())); }
  void apdu(std::int64_t in_ns, std::int64_t out_ns, const Bytes& command);

 private:
  void line(const std::string& text);

  UniqueFd fd_;
};

}  // namespace kazasu::cardsim
