// Staff hints for cards the election plugin cannot use, in English and Japanese.
#pragma once

#include <string>
#include <string_view>

namespace kazasu::election {

struct Hint {
  std::string reason;
  std::string hint;
  std::string hint_ja;
};

/** The hint for a tap's read status ("ok" means: identified, but not linked to a voter). */
Hint hint_for(std::string_view status);

}  // namespace kazasu::election
