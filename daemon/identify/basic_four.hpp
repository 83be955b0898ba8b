// The basic four (基本4情報: name, address, birth date, sex) of the card-face
// input support AP's EF 0002 (jpki.md §3.1), and what became of an attempt to
// read them. They are personal data: held in memory for one tap, handed only
// to plugins granted `card.basic_info`, wiped when the last of them is done,
// and never logged, stored or published by the daemon (design.md "Cards").
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "identify/apdu.hpp"

namespace kazasu {

/** The permission in `[plugins.NAME] permissions` that lets a plugin see the basic four. */
inline constexpr const char* kPermissionBasicInfo = "card.basic_info";

/**
 * The four fields; wiped (OPENSSL_cleanse, whole capacity) on destruction.
 * Neither copied nor moved: a moved-from short string keeps its bytes.
 */
struct BasicFour {
  std::string name;        // UTF-8; family and given name separated by U+3000
  std::string address;     // UTF-8, as printed
  std::string birth_date;  // YYYYMMDD
  std::string sex;         // ISO 5218: "1", "2", "9" (or "0", not known)

  BasicFour() = default;
  ~BasicFour();
  BasicFour(BasicFour&&) = delete;
  BasicFour& operator=(BasicFour&&) = delete;
  BasicFour(const BasicFour&) = delete;
  BasicFour& operator=(const BasicFour&) = delete;
};

/** What the read gave for one tap. `status` and `message` are safe to log; `data` is not. */
struct BasicInfoRead {
  std::string status;                     // "" when not asked for; else one of the kBasicInfo* below
  std::string message;                    // staff-readable
  std::shared_ptr<const BasicFour> data;  // set only with kBasicInfoRead
};

inline constexpr const char* kBasicInfoRead = "read";
inline constexpr const char* kBasicInfoNoPin = "no_pin";
inline constexpr const char* kBasicInfoPinWrong = "pin_wrong";
inline constexpr const char* kBasicInfoPinLocked = "pin_locked";
inline constexpr const char* kBasicInfoNotAvailable = "not_available";
inline constexpr const char* kBasicInfoReadFailed = "read_failed";

/**
 * Parses EF 0002: `FF 20` { `DF 21` offsets, `DF 22` name, `DF 23` address,
 * `DF 24` birth date, `DF 25` sex } followed by filler. Any malformation is
 * an Error{"read_failed"} whose message names no field content.
 */
Result<bool> parse_basic_four(const std::uint8_t* data, std::size_t size, BasicFour& out);
inline Result<bool> parse_basic_four(const apdu::Bytes& b, BasicFour& out) {
  return parse_basic_four(b.data(), b.size(), out);
}

/**
 * The BER-TLV header at data[0]: the total size of the element (tag, length
 * and value), 0 when the bytes end inside the header, or an Error when the
 * header is not one EF 0002 can have.
 */
Result<std::size_t> ber_element_size(const std::uint8_t* data, std::size_t size);

}  // namespace kazasu
