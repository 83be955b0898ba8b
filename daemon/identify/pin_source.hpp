// Where the holder's PIN for a `possession` read comes from. The PIN is held
// in memory only for the read and wiped (OPENSSL_cleanse) when dropped; it is
// never logged. One source exists today: PINs armed over the control socket
// (`kazasuctl pin --reader R --pin 1234`) for the next possession read.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace kazasu {

/** A PIN that wipes itself. Move-only. */
class SecretPin {
 public:
  explicit SecretPin(std::string digits) : digits_(std::move(digits)) {}
  ~SecretPin();
  SecretPin(SecretPin&& other) noexcept;
  SecretPin& operator=(SecretPin&& other) noexcept;
  SecretPin(const SecretPin&) = delete;
  SecretPin& operator=(const SecretPin&) = delete;
  [[nodiscard]] const std::string& digits() const { return digits_; }

 private:
  void wipe();
  std::string digits_;
};

class PinSource {
 public:
  virtual ~PinSource() = default;
  /** Waits up to `timeout` for the reader's PIN; nullopt when none came (or wake_all() was called). */
  virtual std::optional<SecretPin> take(const std::string& reader, std::chrono::milliseconds timeout) = 0;
  /** Ends every wait now: a stopping reader must not hang on a PIN. */
  virtual void wake_all() = 0;
};

/** PINs armed one at a time per reader, each valid for `ttl` and used at most once. */
class ArmedPinSource : public PinSource {
 public:
  explicit ArmedPinSource(std::chrono::milliseconds ttl) : ttl_(ttl) {}
  /** Arms `pin` for the reader's next possession read, replacing an older one; wipes the argument. */
  void arm(const std::string& reader, std::string& pin);
  std::optional<SecretPin> take(const std::string& reader, std::chrono::milliseconds timeout) override;
  void wake_all() override;

 private:
  struct Armed {
    SecretPin pin;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, Armed> armed_;
  unsigned wake_generation_ = 0;
};

/** True for exactly four ASCII digits, the auth PIN's format (jpki.md §2.2 EF 0018). */
bool auth_pin_format_ok(const std::string& pin);

}  // namespace kazasu
