// Staff-screen sentences for the points plugin, in English and Japanese.
#pragma once

#include <string>
#include <string_view>

namespace kazasu::points {

struct Hint {
  std::string reason;
  std::string hint;
  std::string hint_ja;
};

/** Why a card earned nothing, for a read status ("ok": identified, but no account) or a reason of this plugin. */
Hint hint_for(std::string_view reason);

}  // namespace kazasu::points
