#include "voter_match.hpp"

#include <cstdint>

namespace kazasu::election {
namespace {

// Decodes one UTF-8 code point at s[i]; returns its length (0 when not valid).
size_t decode(std::string_view s, size_t i, uint32_t& cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  return n;
}

bool is_space(uint32_t cp) {
  return cp == 0x20 || cp == 0x09 || cp == 0x3000 || cp == 0xA0;
}

bool is_dash(uint32_t cp) {
  return (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xFF0D;
}

}  // namespace

std::string normalise_for_match(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    const size_t n = decode(s, i, cp);
    if (n == 0) {  // not UTF-8: kept byte for byte, so it can only match itself
      out += s[i++];
      continue;
    }
    if (is_space(cp)) {
    } else if (is_dash(cp)) {
      out += '-';
    } else if (cp >= 0xFF01 && cp <= 0xFF5E) {  // full-width ASCII
      out += static_cast<char>(cp - 0xFF01 + 0x21);
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::optional<std::string> roll_birth_date(std::string_view d) {
  if (d.size() != 8) return std::nullopt;
  for (const char c : d) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::string(d.substr(0, 4)) + "-" + std::string(d.substr(4, 2)) + "-" + std::string(d.substr(6, 2));
}

std::optional<Voter> match_basic_four(const std::vector<Voter>& born_that_day, std::string_view card_name,
                                      std::string_view card_address) {
  const std::string name = normalise_for_match(card_name);
  const std::string address = normalise_for_match(card_address);
  if (name.empty() || address.empty()) return std::nullopt;
  std::optional<Voter> found;
  for (const auto& v : born_that_day) {
    if (v.address.empty()) continue;
    if (normalise_for_match(v.name_kanji) != name || normalise_for_match(v.address) != address) continue;
    if (found) return std::nullopt;
    found = v;
  }
  return found;
}

}  // namespace kazasu::election
