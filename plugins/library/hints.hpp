// What counter staff should do about a card the library cannot use, in
// English and Japanese. The plugin sees only the tap's status and a token, so
// the hints say only what that can honestly tell: an unknown token may be a
// never-linked card or a renewed certificate or reissued card; both are
// fixed by linking at the counter.
#pragma once

#include <string>
#include <string_view>

namespace kazasu::library {

struct Hint {
  std::string reason;   // machine-readable: not_linked, expired, pin_locked, read_failed, ...
  std::string hint;     // for staff, English
  std::string hint_ja;  // for staff, Japanese
};

/** The hint for a tap with this read status ("ok" meaning identified but not linked). */
Hint hint_for(std::string_view status);

}  // namespace kazasu::library
