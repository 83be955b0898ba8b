#include "tlv.hpp"

#include <stdexcept>

namespace kazasu::cardsim {

Bytes ber_length(std::size_t length) {
  if (length < 0x80) return {static_cast<std::uint8_t>(length)};
  if (length <= 0xFF) return {0x81, static_cast<std::uint8_t>(length)};
  if (length <= 0xFFFF) {
    return {0x82, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length & 0xFF)};
  }
  throw std::length_error("TLV value too long for this card");
}

Bytes tlv(const Bytes& tag, const Bytes& value) {
  Bytes out = tag;
  append(out, ber_length(value.size()));
  append(out, value);
  return out;
}

std::size_t tlv_total_length(const Bytes& data) {
  std::size_t pos = 0;
  if (data.empty()) return 0;
  // Tag: low five bits all set means more tag bytes follow, each with bit 8 set but the last.
  if ((data[pos++] & 0x1F) == 0x1F) {
    while (pos < data.size() && (data[pos] & 0x80)) ++pos;
    ++pos;
  }
  if (pos >= data.size()) return 0;
  std::size_t length = data[pos++];
  if (length & 0x80) {
    const std::size_t count = length & 0x7F;
    if (count == 0 || count > 3 || pos + count > data.size()) return 0;
    length = 0;
    for (std::size_t i = 0; i < count; ++i) length = (length << 8) | data[pos++];
  }
  return pos + length;
}

Bytes pad_with_filler(const Bytes& content, std::size_t size) {
  if (content.size() > size) throw std::length_error("EF content larger than the EF");
  Bytes out = content;
  out.resize(size, kFiller);
  return out;
}

std::size_t round_up(std::size_t value, std::size_t block) {
  return (value + block - 1) / block * block;
}

}  // namespace kazasu::cardsim
