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

/** The hint for a card identified or read but on no roll: `read_basic_four` when its basic four were compared. */
Hint not_found_hint(bool read_basic_four);

/** The hint for a card whose basic four were not read (`basic_info_status`: no_pin, pin_wrong, ...). */
Hint basic_four_hint(std::string_view basic_info_status);

}  // namespace kazasu::election
