// Reading the JPKI user-authentication certificate (EF 000A, jpki.md §2.2)
// with the fewest APDUs: one READ BINARY by short EF identifier for the first
// 256 bytes, then the rest by offset, in one extended-length command where
// the reader carries it or in 256-byte short chunks otherwise (jpki.md §2.3).
#pragma once

#include "core/result.hpp"
#include "identify/card_channel.hpp"
#include "identify/der.hpp"

namespace kazasu::jpki {

/** SELECT of the JPKI AP; Error{kNotThisCard} when the card has none (jpki.md §7.1). */
Result<bool> select_ap(CardChannel& channel);

/** Reads at least the first 256 bytes of EF 000A (fewer if the file is shorter). */
Result<apdu::Bytes> read_head(CardChannel& channel);

/** Extends `have` (read from offset 0) until it holds `want` bytes. */
Result<bool> read_to(CardChannel& channel, apdu::Bytes& have, std::size_t want);

/** Serial and issuer, reading past the head only when the issuer does not fit in it. */
Result<der::CertificatePrefix> read_prefix(CardChannel& channel);

/** The whole certificate TLV, filler cut off (jpki.md §7.9). */
Result<apdu::Bytes> read_certificate(CardChannel& channel);

}  // namespace kazasu::jpki
