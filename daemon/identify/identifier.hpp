// The identify stage's seam: an Identifier turns a card on a CardChannel into
// a CardIdentity, or says why not. A reader's `accept` list orders them into
// a chain (identifier_chain.hpp); `uid`, `jpki` and `freearea` implement it.
#pragma once

#include "core/result.hpp"
#include "core/tap.hpp"
#include "identify/card_channel.hpp"

namespace kazasu {

/** The card has no application of this kind: the chain tries the next identifier. */
inline constexpr const char* kNotThisCard = "card_not_recognised";

class Identifier {
 public:
  virtual ~Identifier() = default;
  /** "jpki", "freearea" or "uid": the kind of the identities it yields. */
  [[nodiscard]] virtual const char* kind() const = 0;
  /**
   * Reads the card. A refusal (expired, pin_wrong, ...) or a transport failure
   * ends the tap; Error{kNotThisCard} lets the next identifier try.
   */
  virtual Result<CardIdentity> identify(CardChannel& channel) = 0;
  /** True when it may VERIFY a PIN: the reader then connects exclusively and powers the card off after. */
  [[nodiscard]] virtual bool unlocks_keys() const { return false; }
};

}  // namespace kazasu
