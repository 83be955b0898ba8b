// Append-only APDU trace: "> HEX" commands, "< HEX" responses, "# ..." events.
#pragma once

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

}  // namespace kazasu::cardsim
