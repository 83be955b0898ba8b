// Conversion between UTF-8 (everything inside kazasu) and the character set
// the ILS speaks on its SIP2 port, through glibc's iconv.
#pragma once

#include <iconv.h>

#include <string>
#include <string_view>

namespace kazasu::library {

class Charset {
 public:
  /** Throws std::invalid_argument when iconv does not know `name`. */
  explicit Charset(const std::string& name);
  ~Charset();
  Charset(const Charset&) = delete;
  Charset& operator=(const Charset&) = delete;

  /** UTF-8 to the ILS's charset; characters it cannot hold become '?'. */
  [[nodiscard]] std::string to_wire(std::string_view utf8) const;
  /** The ILS's charset to UTF-8; invalid bytes become U+FFFD. */
  [[nodiscard]] std::string from_wire(std::string_view bytes) const;

  static bool supported(const std::string& name);

 private:
  iconv_t to_wire_;
  iconv_t from_wire_;
};

}  // namespace kazasu::library
