// A PIN EF: secret, retry counter and the "verified" flag (jpki.md §2.4, §7.6).
#pragma once

#include <cstdint>
#include <string>

#include "bytes.hpp"

namespace kazasu::cardsim {

class PinCounter {
 public:
  PinCounter(std::string name, std::string secret, int max_tries, int remaining);

  // VERIFY with a PIN: right -> 9000 and the counter back to max; wrong -> 63Cx with x
  // tries left (63C0 on the try that blocks it); blocked -> 6984 without comparing.
  std::uint16_t verify(const Bytes& candidate);

  // VERIFY with no data: 9000 if already verified, else 63Cx; never spends a try.
  std::uint16_t query() const;

  bool verified() const { return verified_; }
  // Power off ends the security state (jpki.md §2.4 last paragraph).
  void clear_verified() { verified_ = false; }

  int remaining() const { return remaining_; }
  int max_tries() const { return max_tries_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;  // key in state.json: auth_pin, sign_password, text_pin
  std::string secret_;
  int max_tries_;
  int remaining_;
  bool verified_ = false;
};

}  // namespace kazasu::cardsim
