// Reads the basic four from the card-face input support AP (text AP,
// jpki.md §3) with the holder's 4-digit card-face PIN: SELECT the AP, SELECT
// the PIN EF 0011, ask its tries without using one, VERIFY, SELECT EF 0002,
// READ BINARY. EF 0001 (the My Number) is never selected; the card channel
// refuses it as well. The VERIFY opens EF 0001 for the rest of the card's
// session too, so a reader that runs this powers the card off after the tap.
#pragma once

#include <chrono>
#include <string>

#include "identify/basic_four.hpp"
#include "identify/card_channel.hpp"
#include "identify/pin_source.hpp"

namespace kazasu {

struct BasicFourOptions {
  std::string reader;
  /** How long to wait for a card-face PIN not armed before the tap; 0: use only one armed already. */
  std::chrono::milliseconds pin_timeout{0};
};

/** Never fails: every way it can go is a status (basic_four.hpp) with a staff-readable message. */
BasicInfoRead read_basic_four(CardChannel& channel, PinSource& pins, const BasicFourOptions& options);

}  // namespace kazasu
