#include "identify/apdu.hpp"

#include <algorithm>
#include <cstdio>

namespace kazasu::apdu {

Bytes command(std::uint8_t cla, std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const std::uint8_t* data,
              std::size_t n, int le) {
  // Built whole rather than appended: GCC 12 -O3 warns (falsely) on insert after an initializer list.
  Bytes a(5 + n + (le >= 0 ? 1 : 0));
  a[0] = cla;
  a[1] = ins;
  a[2] = p1;
  a[3] = p2;
  a[4] = static_cast<std::uint8_t>(n);
  std::copy(data, data + n, a.begin() + 5);
  if (le >= 0) a.back() = static_cast<std::uint8_t>(le);
  return a;
}

std::string sw_text(std::uint16_t sw) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04X", sw);
  return buf;
}

Bytes select_aid(const Bytes& aid) {
  return command(0x00, 0xA4, 0x04, 0x0C, aid.data(), aid.size());
}

Bytes select_ef(std::uint16_t fid) {
  return {0x00, 0xA4, 0x02, 0x0C, 0x02, static_cast<std::uint8_t>(fid >> 8), static_cast<std::uint8_t>(fid & 0xFF)};
}

Bytes read_binary(std::uint16_t offset, std::uint8_t le) {
  // Short READ BINARY carries a 15-bit offset in P1-P2 (jpki.md §2.3 MNC).
  return {0x00, 0xB0, static_cast<std::uint8_t>((offset >> 8) & 0x7F), static_cast<std::uint8_t>(offset & 0xFF), le};
}

Bytes read_binary_sfi(std::uint8_t sfi, std::uint8_t offset, std::uint8_t le) {
  return {0x00, 0xB0, static_cast<std::uint8_t>(0x80 | (sfi & 0x1F)), offset, le};
}

Bytes read_binary_extended(std::uint16_t offset, std::uint16_t le) {
  return {0x00,
          0xB0,
          static_cast<std::uint8_t>((offset >> 8) & 0x7F),
          static_cast<std::uint8_t>(offset & 0xFF),
          0x00,
          static_cast<std::uint8_t>(le >> 8),
          static_cast<std::uint8_t>(le & 0xFF)};
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xF]);
  }
  return out;
}

bool from_hex(std::string_view hex, Bytes& out) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return false;
  Bytes b;
  b.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    b.push_back(static_cast<std::uint8_t>((hi << 4) | lo));
  }
  out = std::move(b);
  return true;
}

}  // namespace kazasu::apdu
