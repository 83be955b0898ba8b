// Finding a voter on the roll from the card's basic four (基本4情報), read
// with the voter's card-face PIN. Pure functions: the basic four are compared
// here and forgotten; nothing read from the card is kept, logged or published.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "roll_csv.hpp"

namespace kazasu::election {

/**
 * A name or an address in the form both sides are compared in: spaces of
 * every width removed, full-width ASCII letters and digits made half-width,
 * the dash look-alikes (‐ ‑ ‒ – — ― − －) made "-". Characters the roll
 * system and the card may write differently beyond that (variant kanji such
 * as 髙/高, kanji numerals) are not folded: such a voter is found by staff
 * from the roll, never by a guess.
 */
std::string normalise_for_match(std::string_view s);

/** "19800501" (the card) -> "1980-05-01" (the roll); nullopt when not eight digits. */
std::optional<std::string> roll_birth_date(std::string_view card_birth_date);

/**
 * The one voter among `born_that_day` (roll entries with the card's birth
 * date) whose normalised name and address both equal the card's; nullopt
 * when none or more than one does (two entries alike are for staff to tell
 * apart, not for the plugin).
 */
std::optional<Voter> match_basic_four(const std::vector<Voter>& born_that_day, std::string_view card_name,
                                      std::string_view card_address);

}  // namespace kazasu::election
