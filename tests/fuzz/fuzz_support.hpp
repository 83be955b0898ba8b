// Helpers shared by the fuzz targets: a cursor over the input bytes and the
// checks a target applies to input that the real path never hands over
// (an MQTT broker refuses a topic that is not UTF-8, for example).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace kazasu::fuzz {

/** Consumes the fuzzer's bytes front to back; every read is bounded by what is left. */
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  [[nodiscard]] bool empty() const { return pos_ >= size_; }
  [[nodiscard]] std::size_t left() const { return size_ - pos_; }

  /** One byte, 0 once the input is used up. */
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }

  /** Up to `n` bytes. */
  std::string_view take(std::size_t n) {
    n = n < left() ? n : left();
    std::string_view out(reinterpret_cast<const char*>(data_) + pos_, n);
    pos_ += n;
    return out;
  }

  /** The bytes up to the next `sep` (which is consumed), or all that is left. */
  std::string_view until(char sep) {
    const std::string_view rest = peek_rest();
    const std::size_t at = rest.find(sep);
    if (at == std::string_view::npos) {
      pos_ = size_;
      return rest;
    }
    pos_ += at + 1;
    return rest.substr(0, at);
  }

  std::string_view rest() {
    const std::string_view out = peek_rest();
    pos_ = size_;
    return out;
  }

 private:
  [[nodiscard]] std::string_view peek_rest() const {
    return {reinterpret_cast<const char*>(data_) + pos_, size_ - pos_};
  }
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

/** Well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF) without U+0000. */
inline bool utf8_without_nul(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // the sequence runs past the end
    for (std::size_t k = 1; k <= n; ++k) {
      const auto t = static_cast<unsigned char>(s[i + k]);
      if ((t & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (t & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

/**
 * A fresh directory for a target's files, removed when the process exits:
 * under $TMPDIR if set, else /dev/shm (a target that writes a file per input
 * runs ten times faster on tmpfs), else /tmp.
 */
inline std::filesystem::path scratch_dir(const char* name) {
  static std::string made;
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "";
  if (base.empty()) base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  std::string dir = base + "/kazasu-fuzz-" + name + "-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) std::abort();
  made = dir;
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(made, ec);
  });
  return dir;
}

}  // namespace kazasu::fuzz
