#include "core/tap_id.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <mutex>
#include <stdexcept>

namespace kazasu {

std::string new_tap_id(int64_t unix_ms) {
  // RFC 9562 §6.2 method 1: a 12-bit counter in rand_a keeps ids from one
  // millisecond ordered; if it overflows we borrow the next millisecond.
  static std::mutex mutex;
  static int64_t last_ms = 0;
  static uint16_t counter = 0;

  std::array<unsigned char, 9> rnd{};
  if (RAND_bytes(rnd.data(), static_cast<int>(rnd.size())) != 1) throw std::runtime_error("RAND_bytes failed");

  int64_t ms = 0;
  uint16_t seq = 0;
  {
    std::lock_guard lock(mutex);
    if (unix_ms > last_ms) {
      last_ms = unix_ms;
      counter = static_cast<uint16_t>(rnd[0] & 0x03);  // small random start leaves room to count
    } else if (++counter > 0x0FFF) {
      ++last_ms;
      counter = 0;
    }
    ms = last_ms;
    seq = counter;
  }

  std::array<unsigned char, 16> b{};
  for (int i = 0; i < 6; ++i) b[static_cast<size_t>(i)] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  b[6] = static_cast<unsigned char>(0x70 | ((seq >> 8) & 0x0F));
  b[7] = static_cast<unsigned char>(seq & 0xFF);
  b[8] = static_cast<unsigned char>(0x80 | (rnd[8] & 0x3F));  // RFC 9562 variant bits
  for (size_t i = 9; i < 16; ++i) b[i] = rnd[i - 8];

  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

}  // namespace kazasu
