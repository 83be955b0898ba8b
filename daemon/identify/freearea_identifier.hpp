// `freearea`: a municipality's own ID kept in the card's free area (Sanjo,
// Sukumo; design.md "Cards"). The AP's AID, the EF and the tag come from
// config ([identify.freearea]). Layout supported (docs/identify.md, the same
// as kazasu-cardsim's): the EF holds BER-TLV; the ID is the value of the first
// element with the configured tag, at the top level or one level inside a
// constructed element (e.g. `70 LL { 80 LL <ID> }`), then filler.
#pragma once

#include "identify/identifier.hpp"

namespace kazasu {

struct FreeAreaOptions {
  apdu::Bytes aid;
  std::uint16_t ef = 0x0001;
  apdu::Bytes tag;  // one or two bytes
};

class FreeAreaIdentifier : public Identifier {
 public:
  explicit FreeAreaIdentifier(FreeAreaOptions options) : options_(std::move(options)) {}
  [[nodiscard]] const char* kind() const override { return "freearea"; }
  Result<CardIdentity> identify(CardChannel& channel) override;

 private:
  FreeAreaOptions options_;
};

/** Finds the value of `tag` in `data` as the layout above says; false if absent or malformed. */
bool find_free_area_id(const apdu::Bytes& data, const apdu::Bytes& tag, apdu::Bytes& value);

}  // namespace kazasu
