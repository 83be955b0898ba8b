// Byte strings and hex helpers shared by every part of the simulator.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kazasu::cardsim {

using Bytes = std::vector<std::uint8_t>;

// Upper-case hex without separators ("3BE000"), the form used in traces and card.json.
std::string to_hex(const Bytes& bytes);
std::string to_hex(const std::uint8_t* data, std::size_t size);

// Accepts upper/lower case, ignores spaces and colons; throws std::invalid_argument otherwise.
Bytes from_hex(std::string_view text);

Bytes to_bytes(std::string_view text);

inline void append(Bytes& out, const Bytes& more) {
  out.insert(out.end(), more.begin(), more.end());
}

inline void append_be16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

inline void append_be32(Bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

}  // namespace kazasu::cardsim
