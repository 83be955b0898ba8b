#include "identify/pin_source.hpp"

#include <openssl/crypto.h>

#include <algorithm>

namespace kazasu {

SecretPin::~SecretPin() {
  wipe();
}

// Copied, not moved: a moved-from short string keeps its bytes; wipe() clears them.
SecretPin::SecretPin(SecretPin&& other) noexcept
    : digits_(other.digits_) {  // NOLINT(performance-move-constructor-init)
  other.wipe();
}

SecretPin& SecretPin::operator=(SecretPin&& other) noexcept {
  if (this != &other) {
    wipe();
    digits_ = other.digits_;
    other.wipe();
  }
  return *this;
}

void SecretPin::wipe() {
  if (!digits_.empty()) OPENSSL_cleanse(digits_.data(), digits_.size());
  digits_.clear();
}

const char* to_string(PinPurpose p) {
  return p == PinPurpose::basic_info ? "basic_info" : "auth";
}

std::optional<PinPurpose> parse_pin_purpose(const std::string& s) {
  if (s == "auth") return PinPurpose::auth;
  if (s == "basic_info") return PinPurpose::basic_info;
  return std::nullopt;
}

void ArmedPinSource::arm(const std::string& reader, PinPurpose purpose, std::string& pin) {
  {
    std::lock_guard lock(mutex_);
    const auto key = std::make_pair(reader, purpose);
    armed_.erase(key);
    armed_.emplace(key, Armed{SecretPin(pin), std::chrono::steady_clock::now() + ttl_});
  }
  OPENSSL_cleanse(pin.data(), pin.size());
  cv_.notify_all();
}

std::optional<SecretPin> ArmedPinSource::take(const std::string& reader, PinPurpose purpose,
                                              std::chrono::milliseconds timeout) {
  const auto key = std::make_pair(reader, purpose);
  std::unique_lock lock(mutex_);
  const unsigned generation = wake_generation_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto it = armed_.find(key);
    if (it != armed_.end()) {
      if (it->second.expires >= std::chrono::steady_clock::now()) {
        SecretPin pin = std::move(it->second.pin);
        armed_.erase(it);
        return pin;
      }
      armed_.erase(it);  // expired: the holder must arm it again for this tap
    }
    if (wake_generation_ != generation) return std::nullopt;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      it = armed_.find(key);
      if (it == armed_.end() || it->second.expires < std::chrono::steady_clock::now()) return std::nullopt;
    }
  }
}

void ArmedPinSource::discard(const std::string& reader, PinPurpose purpose) {
  std::lock_guard lock(mutex_);
  armed_.erase(std::make_pair(reader, purpose));
}

void ArmedPinSource::wake_all() {
  {
    std::lock_guard lock(mutex_);
    ++wake_generation_;
  }
  cv_.notify_all();
}

bool auth_pin_format_ok(const std::string& pin) {
  return pin.size() == 4 && std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace kazasu
