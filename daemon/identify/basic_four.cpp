#include "identify/basic_four.hpp"

#include <openssl/crypto.h>

#include <algorithm>

namespace kazasu {
namespace {

constexpr std::uint16_t kTagBasicFour = 0xFF20;
constexpr std::uint16_t kTagOffsets = 0xDF21;
constexpr std::uint16_t kTagName = 0xDF22;
constexpr std::uint16_t kTagAddress = 0xDF23;
constexpr std::uint16_t kTagBirth = 0xDF24;
constexpr std::uint16_t kTagSex = 0xDF25;
constexpr std::size_t kBirthDigits = 8;

void wipe(std::string& s) {
  OPENSSL_cleanse(s.data(), s.capacity());
  s.clear();
}

Error malformed(const std::string& what) {
  return Error{kBasicInfoReadFailed, "the card's basic four could not be read: " + what};
}

struct Element {
  std::uint16_t tag = 0;
  std::size_t value_at = 0;
  std::size_t length = 0;
};

// Tags here are one or two bytes (jpki.md §3.1); lengths short, 81 or 82.
// `complete` is false when the bytes end inside the header.
Result<bool> read_header(const std::uint8_t* d, std::size_t size, std::size_t at, Element& e) {
  std::size_t p = at;
  if (p >= size) return false;
  e.tag = d[p++];
  if ((e.tag & 0x1F) == 0x1F) {
    if (p >= size) return false;
    if ((d[p] & 0x80) != 0) return malformed("a tag longer than two bytes");
    e.tag = static_cast<std::uint16_t>((e.tag << 8) | d[p++]);
  }
  if (p >= size) return false;
  const std::uint8_t first = d[p++];
  if (first < 0x80) {
    e.length = first;
  } else if (first == 0x81 || first == 0x82) {
    const std::size_t n = first & 0x7F;
    if (p + n > size) return false;
    e.length = 0;
    for (std::size_t i = 0; i < n; ++i) e.length = (e.length << 8) | d[p++];
  } else {
    return malformed("an unsupported length form");
  }
  e.value_at = p;
  return true;
}

// Header and value both inside `size`.
Result<bool> read_element(const std::uint8_t* d, std::size_t size, std::size_t at, Element& e) {
  auto h = read_header(d, size, at, e);
  if (!h || !h.value()) return h;
  return e.value_at + e.length <= size;
}

bool utf8_ok(const std::uint8_t* s, std::size_t n) {
  for (std::size_t i = 0; i < n;) {
    const std::uint8_t c = s[i];
    if (c < 0x20 || c == 0x7F) return false;  // no control characters (or NUL) in a name or address
    std::size_t extra = 0;
    if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      extra = 3;
    } else if (c >= 0x80) {
      return false;  // a continuation byte, or an overlong or out-of-range lead byte
    }
    if (i + extra >= n) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

bool digits_only(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

BasicFour::~BasicFour() {
  wipe(name);
  wipe(address);
  wipe(birth_date);
  wipe(sex);
}

Result<std::size_t> ber_element_size(const std::uint8_t* data, std::size_t size) {
  Element e;
  auto r = read_header(data, size, 0, e);
  if (!r) return r.error();
  if (!r.value()) return std::size_t{0};
  if (e.tag != kTagBasicFour) return malformed("the file does not start with tag FF20");
  return e.value_at + e.length;
}

Result<bool> parse_basic_four(const std::uint8_t* data, std::size_t size, BasicFour& out) {
  Element outer;
  auto r = read_element(data, size, 0, outer);
  if (!r) return r.error();
  if (!r.value()) return malformed("the file ends inside its FF20 element");
  if (outer.tag != kTagBasicFour) return malformed("the file does not start with tag FF20");

  bool have_name = false;
  bool have_address = false;
  bool have_birth = false;
  bool have_sex = false;
  const std::size_t end = outer.value_at + outer.length;
  for (std::size_t at = outer.value_at; at < end;) {
    Element e;
    auto inner = read_element(data, end, at, e);
    if (!inner) return inner.error();
    if (!inner.value()) return malformed("an element runs past the end of FF20");
    const std::uint8_t* v = data + e.value_at;
    auto text = [&](std::string& field, bool& seen) -> Result<bool> {
      if (seen) return malformed("a field appears twice");
      if (!utf8_ok(v, e.length)) return malformed("a field is not UTF-8 text");
      field.assign(reinterpret_cast<const char*>(v), e.length);
      seen = true;
      return true;
    };
    Result<bool> stored = true;
    switch (e.tag) {
      case kTagOffsets:
        break;  // fields are read in order; the offset table is for readers that jump
      case kTagName:
        stored = text(out.name, have_name);
        break;
      case kTagAddress:
        stored = text(out.address, have_address);
        break;
      case kTagBirth:
        stored = text(out.birth_date, have_birth);
        break;
      case kTagSex:
        stored = text(out.sex, have_sex);
        break;
      default:
        break;  // a later card generation may add fields
    }
    if (!stored) return stored.error();
    at = e.value_at + e.length;
  }
  if (!have_name || !have_address || !have_birth || !have_sex) return malformed("a field is missing");
  if (out.birth_date.size() != kBirthDigits || !digits_only(out.birth_date)) {
    return malformed("the birth date is not YYYYMMDD");
  }
  if (out.sex.size() != 1 || std::string("0129").find(out.sex[0]) == std::string::npos) {
    return malformed("the sex code is not ISO 5218");
  }
  return true;
}

}  // namespace kazasu
