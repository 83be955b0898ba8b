// `uid`: a contactless card's UID through the PC/SC GET DATA pseudo-APDU
// `FF CA 00 00 00` (PC/SC Part 3), for staff badges. Assurance `uid`: anyone
// can copy a UID, so a reader offers it only where its `accept` list says so.
#pragma once

#include "identify/identifier.hpp"

namespace kazasu {

class UidIdentifier : public Identifier {
 public:
  [[nodiscard]] const char* kind() const override { return "uid"; }
  Result<CardIdentity> identify(CardChannel& channel) override;
};

}  // namespace kazasu
