#include "charset.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace kazasu::library {
namespace {

// iconv_open reports failure as (iconv_t)-1 (POSIX).
const iconv_t kInvalid = reinterpret_cast<iconv_t>(-1);  // NOLINT(performance-no-int-to-ptr)

size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Converts all of `in`; on a character the conversion cannot take, skips
// `skip(first byte)` input bytes and writes `replacement`, so one odd byte
// from the ILS never loses the whole message.
template <class Skip>
std::string convert(iconv_t cd, std::string_view in, std::string_view replacement, Skip skip) {
  std::string out;
  out.resize(in.size() * 4 + 16);
  char* src = const_cast<char*>(in.data());  // iconv's API is not const-correct; it does not write
  size_t src_left = in.size();
  size_t used = 0;
  iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset shift state
  while (src_left > 0) {
    char* dst = out.data() + used;
    size_t dst_left = out.size() - used;
    const size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
    used = out.size() - dst_left;
    if (rc != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    // EILSEQ or EINVAL (a truncated sequence at the end)
    const size_t n = std::min(src_left, skip(static_cast<unsigned char>(*src)));
    src += n;
    src_left -= n;
    if (out.size() - used < replacement.size()) out.resize(out.size() * 2 + replacement.size());
    std::memcpy(out.data() + used, replacement.data(), replacement.size());
    used += replacement.size();
  }
  // Flush a stateful encoding (ISO-2022-JP) back to its initial state.
  for (;;) {
    char* dst = out.data() + used;
    size_t dst_left = out.size() - used;
    if (iconv(cd, nullptr, nullptr, &dst, &dst_left) != static_cast<size_t>(-1)) {
      used = out.size() - dst_left;
      break;
    }
    if (errno != E2BIG) break;
    out.resize(out.size() * 2);
  }
  out.resize(used);
  return out;
}

}  // namespace

Charset::Charset(const std::string& name)
    : to_wire_(iconv_open(name.c_str(), "UTF-8")), from_wire_(iconv_open("UTF-8", name.c_str())) {
  if (to_wire_ == kInvalid || from_wire_ == kInvalid) {
    if (to_wire_ != kInvalid) iconv_close(to_wire_);
    if (from_wire_ != kInvalid) iconv_close(from_wire_);
    throw std::invalid_argument("iconv does not know the character set \"" + name + "\"");
  }
}

Charset::~Charset() {
  iconv_close(to_wire_);
  iconv_close(from_wire_);
}

std::string Charset::to_wire(std::string_view utf8) const {
  return convert(to_wire_, utf8, "?", utf8_length);
}

std::string Charset::from_wire(std::string_view bytes) const {
  return convert(from_wire_, bytes, "\xEF\xBF\xBD", [](unsigned char) { return size_t{1}; });
}

bool Charset::supported(const std::string& name) {
  try {
    Charset probe(name);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

}  // namespace kazasu::library
