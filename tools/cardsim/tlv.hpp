// BER-TLV building and the filler padding the card puts after a TLV (jpki.md §2.3, §7.9).
#pragma once

#include <cstdint>

#include "bytes.hpp"

namespace kazasu::cardsim {

// The card pads EFs with FF after the TLV content (jpki.md §7.9).
inline constexpr std::uint8_t kFiller = 0xFF;

// BER length octets: short form below 128, else 81 xx / 82 xx xx.
Bytes ber_length(std::size_t length);

// tag is given as its encoded bytes (e.g. {0xDF, 0x22}) because the card uses
// multi-byte private-class tags.
Bytes tlv(const Bytes& tag, const Bytes& value);

// Total length of the BER-TLV at the start of data (tag + length octets + value), or 0
// when data does not start with a complete header. Used by tests the way hosts do it.
std::size_t tlv_total_length(const Bytes& data);

// content followed by filler up to size; size must be >= content.size().
Bytes pad_with_filler(const Bytes& content, std::size_t size);

// Rounds up to a multiple of block, so generated EF sizes look like allocated file sizes.
std::size_t round_up(std::size_t value, std::size_t block);

}  // namespace kazasu::cardsim
