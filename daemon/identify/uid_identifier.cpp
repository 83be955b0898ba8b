#include "identify/uid_identifier.hpp"

namespace kazasu {

Result<CardIdentity> UidIdentifier::identify(CardChannel& channel) {
  // CLA FF goes to the reader, not the card; Le=00 asks for the whole UID.
  auto r = channel.transmit({0xFF, 0xCA, 0x00, 0x00, 0x00});
  if (!r) return r.error();
  // Contact readers and contact cards answer 6A81/6D00/6E00: no UID here.
  if (!r->ok() || r->data.empty()) return Error{kNotThisCard, "the reader gives no UID for this card"};
  return CardIdentity{"uid", "uid", "", apdu::to_hex(r->data)};
}

}  // namespace kazasu
