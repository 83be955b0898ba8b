// Status words the simulated My Number Card answers with (jpki.md §2.4 table, ISO 7816-4).
#pragma once

#include <cstdint>

namespace kazasu::cardsim {

inline constexpr std::uint16_t kSwOk = 0x9000;
inline constexpr std::uint16_t kSwBytesAvailable = 0x6100;  // 61xx, GET RESPONSE mode only
inline constexpr std::uint16_t kSwWrongPinBase = 0x63C0;    // 63Cx: x tries left (§2.4)
inline constexpr std::uint16_t kSwWrongLength = 0x6700;
inline constexpr std::uint16_t kSwSecureMessagingUnsupported = 0x6882;  // CLA 08/0C (§7.11)
inline constexpr std::uint16_t kSwIncompatibleFile = 0x6981;            // READ BINARY on a PIN/key EF
inline constexpr std::uint16_t kSwSecurityNotSatisfied = 0x6982;
inline constexpr std::uint16_t kSwPinBlocked = 0x6984;              // not 6983: jpki.md §2.4
inline constexpr std::uint16_t kSwConditionsNotSatisfied = 0x6985;  // GET RESPONSE with nothing pending
inline constexpr std::uint16_t kSwNoCurrentEf = 0x6986;
inline constexpr std::uint16_t kSwFuncNotSupported = 0x6A81;
inline constexpr std::uint16_t kSwFileNotFound = 0x6A82;
inline constexpr std::uint16_t kSwWrongP1P2 = 0x6A86;
inline constexpr std::uint16_t kSwRefDataNotFound = 0x6A88;
inline constexpr std::uint16_t kSwWrongOffset = 0x6B00;  // READ BINARY past the end (§2.4)
inline constexpr std::uint16_t kSwWrongLe = 0x6C00;      // 6Cxx, GET RESPONSE mode only
inline constexpr std::uint16_t kSwInsNotSupported = 0x6D00;
inline constexpr std::uint16_t kSwClaNotSupported = 0x6E00;

}  // namespace kazasu::cardsim
