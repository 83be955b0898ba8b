// A reader's identifiers in the order of its `accept` list. The first one
// whose application the card has decides the tap; a card none of them knows
// is `card_not_accepted`. A My Number Card is recognised by a successful
// SELECT of the JPKI AID, never by its ATR (jpki.md §7.1).
#pragma once

#include <memory>
#include <vector>

#include "config/config.hpp"
#include "identify/identifier.hpp"
#include "identify/pin_source.hpp"
#include "identify/trust_store.hpp"

namespace kazasu {

class IdentifierChain {
 public:
  explicit IdentifierChain(std::vector<std::unique_ptr<Identifier>> identifiers);
  Result<CardIdentity> identify(CardChannel& channel);
  /** True when some identifier may unlock a key with a PIN (connect exclusively, power off after). */
  [[nodiscard]] bool unlocks_keys() const;
  [[nodiscard]] std::size_t size() const { return identifiers_.size(); }

 private:
  std::vector<std::unique_ptr<Identifier>> identifiers_;
};

/** Builds a reader's chain from config. `trust` may be null when no reader needs it; throws on a gap. */
IdentifierChain make_identifier_chain(const ReaderConfig& reader, const IdentifyConfig& identify,
                                      const std::shared_ptr<const TrustStore>& trust, PinSource* pins);

}  // namespace kazasu
