// Command APDU parsing (ISO 7816-4 §5.1: cases 1-4, short and extended length).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bytes.hpp"

namespace kazasu::cardsim {

enum class ApduCase { kCase1, kCase2, kCase3, kCase4 };

struct CommandApdu {
  std::uint8_t cla = 0;
  std::uint8_t ins = 0;
  std::uint8_t p1 = 0;
  std::uint8_t p2 = 0;
  Bytes data;
  // Expected response length with the ISO zero encodings already expanded
  // (short Le 00 = 256, extended 0000 = 65536). Empty for cases 1 and 3.
  std::optional<std::uint32_t> le;
  ApduCase apdu_case = ApduCase::kCase1;
  bool extended = false;
};

struct ParseResult {
  std::optional<CommandApdu> apdu;
  std::string error;  // set when apdu is empty: why the bytes are not a valid APDU
};

// Malformed input (shorter than 4 bytes, Lc that disagrees with the length) gives an
// error; the card answers those with 6700.
ParseResult parse_apdu(const Bytes& raw);

struct ResponseApdu {
  Bytes data;
  std::uint16_t sw = 0x9000;

  Bytes serialize() const;
  static ResponseApdu status(std::uint16_t sw) { return ResponseApdu{{}, sw}; }
};

}  // namespace kazasu::cardsim
