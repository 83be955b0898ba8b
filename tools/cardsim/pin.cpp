#include "pin.hpp"

#include <algorithm>

#include "status_words.hpp"

namespace kazasu::cardsim {

PinCounter::PinCounter(std::string name, std::string secret, int max_tries, int remaining)
    : name_(std::move(name)),
      secret_(std::move(secret)),
      max_tries_(std::clamp(max_tries, 1, 15)),  // x in 63Cx is one nibble
      remaining_(std::clamp(remaining, 0, max_tries_)) {}

std::uint16_t PinCounter::verify(const Bytes& candidate) {
  if (remaining_ == 0) return kSwPinBlocked;
  if (candidate.size() == secret_.size() && std::equal(candidate.begin(), candidate.end(), secret_.begin())) {
    remaining_ = max_tries_;
    verified_ = true;
    return kSwOk;
  }
  --remaining_;
  verified_ = false;
  return static_cast<std::uint16_t>(kSwWrongPinBase | remaining_);
}

std::uint16_t PinCounter::query() const {
  if (verified_) return kSwOk;
  return static_cast<std::uint16_t>(kSwWrongPinBase | remaining_);
}

}  // namespace kazasu::cardsim
