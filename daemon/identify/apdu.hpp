// APDU bytes and the constants of the My Number Card's command set. Every
// constant names the jpki.md section it comes from.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kazasu::apdu {

using Bytes = std::vector<std::uint8_t>;

/** A response APDU split into its data and status word. */
struct Response {
  Bytes data;
  std::uint16_t sw = 0;
  [[nodiscard]] std::uint8_t sw1() const { return static_cast<std::uint8_t>(sw >> 8); }
  [[nodiscard]] std::uint8_t sw2() const { return static_cast<std::uint8_t>(sw & 0xFF); }
  [[nodiscard]] bool ok() const { return sw == 0x9000; }
};

// Status words (jpki.md §2.4 table, ISO 7816-4).
inline constexpr std::uint16_t kSwOk = 0x9000;
inline constexpr std::uint16_t kSwPinBlocked = 0x6984;  // not 6983, jpki.md §2.4
inline constexpr std::uint16_t kSwNoCurrentEf = 0x6986;
inline constexpr std::uint16_t kSwFileNotFound = 0x6A82;
inline constexpr std::uint8_t kSw1BytesAvailable = 0x61;  // 61xx: GET RESPONSE, jpki.md §7.3
inline constexpr std::uint8_t kSw1WrongLe = 0x6C;         // 6Cxx: resend with Le=xx, jpki.md §7.3
inline constexpr std::uint16_t kSwPinTriesMask = 0x63C0;  // 63Cx: x tries left, jpki.md §2.4

// JPKI AP, jpki.md §2.1; its EFs, jpki.md §2.2.
inline const Bytes kJpkiAid = {0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01};
inline constexpr std::uint16_t kEfAuthCert = 0x000A;
inline constexpr std::uint16_t kEfAuthKey = 0x0017;
inline constexpr std::uint16_t kEfAuthPin = 0x0018;

// The card-face input support AP (text AP, jpki.md §3). Only named so the
// channel can refuse its My Number EF; kazasu never selects that file.
inline const Bytes kTextAid = {0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08};
inline constexpr std::uint16_t kEfMyNumber = 0x0001;

/** A short command: header, Lc and `n` data bytes, then Le when `le` >= 0 (0..255, 0 meaning 256). */
Bytes command(std::uint8_t cla, std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const std::uint8_t* data,
              std::size_t n, int le = -1);

/** SELECT by DF name, no FCI: `00 A4 04 0C Lc AID` (jpki.md §2.1). */
Bytes select_aid(const Bytes& aid);
/** SELECT EF under the current DF, no FCI: `00 A4 02 0C 02 hi lo` (jpki.md §2.1). */
Bytes select_ef(std::uint16_t fid);
/** READ BINARY by offset, short Le (0 means 256): `00 B0 P1 P2 Le`. */
Bytes read_binary(std::uint16_t offset, std::uint8_t le);
/** READ BINARY by short EF identifier: `00 B0 (80|sfi) offset Le` (jpki.md §2.3 MBX). */
Bytes read_binary_sfi(std::uint8_t sfi, std::uint8_t offset, std::uint8_t le);
/** READ BINARY by offset with an extended Le: `00 B0 P1 P2 00 HH LL`. */
Bytes read_binary_extended(std::uint16_t offset, std::uint16_t le);

/** A status word as four upper-case hex digits ("6A82"), for staff-readable messages. */
std::string sw_text(std::uint16_t sw);
/** 63Cx -> x, the PIN tries left (jpki.md §2.4); -1 for any other status word. */
inline int pin_tries_left(std::uint16_t sw) {
  return (sw & 0xFFF0) == kSwPinTriesMask ? static_cast<int>(sw & 0x0F) : -1;
}

/** Upper-case hex without separators. */
std::string to_hex(const std::uint8_t* data, std::size_t size);
inline std::string to_hex(const Bytes& b) {
  return to_hex(b.data(), b.size());
}
/** Parses hex (upper or lower case, no separators); false on odd length or a bad digit. */
bool from_hex(std::string_view hex, Bytes& out);

}  // namespace kazasu::apdu
