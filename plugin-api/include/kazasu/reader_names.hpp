// kazasu plugin SDK, optional: the rule for reader names.
//
// kazasud names readers in its config ([readers.NAME]) and every tap carries
// that name; it is one MQTT topic segment. A plugin that takes a reader name
// from its settings or from a command (to arm a counter reader, say) checks it
// with this, so a name that kazasud could never have is refused up front.
#pragma once

#include <string_view>

namespace kazasu {

/** True for a reader name kazasud accepts: [A-Za-z0-9_-], 1 to 64 characters. */
inline bool valid_reader_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace kazasu
