// Where the holder's PINs come from: the JPKI auth PIN for a `possession`
// read, the card-face PIN for the basic four. A PIN is held in memory only
// for the read and wiped (OPENSSL_cleanse) when dropped; it is never logged.
// One source exists today: PINs armed over the control socket
// (`kazasuctl pin --reader R --pin 1234 [--for basic_info]`) for the next read.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

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

/** Which of the card's PINs: they differ per application (jpki.md §2.4, §3). */
enum class PinPurpose { auth, basic_info };

/** "auth" or "basic_info", as kazasuctl's --for names them. */
const char* to_string(PinPurpose p);
std::optional<PinPurpose> parse_pin_purpose(const std::string& s);

class PinSource {
 public:
  virtual ~PinSource() = default;
  /** Waits up to `timeout` for the reader's PIN; nullopt when none came (or wake_all() was called). */
  virtual std::optional<SecretPin> take(const std::string& reader, PinPurpose purpose,
                                        std::chrono::milliseconds timeout) = 0;
  std::optional<SecretPin> take(const std::string& reader, std::chrono::milliseconds timeout) {
    return take(reader, PinPurpose::auth, timeout);
  }
  /** Drops an armed PIN unused: it was typed for a card that cannot take it, not for the next one. */
  virtual void discard(const std::string& reader, PinPurpose purpose) = 0;
  /** Ends every wait now: a stopping reader must not hang on a PIN. */
  virtual void wake_all() = 0;
};

/** PINs armed one at a time per reader, each valid for `ttl` and used at most once. */
class ArmedPinSource : public PinSource {
 public:
  explicit ArmedPinSource(std::chrono::milliseconds ttl) : ttl_(ttl) {}
  /** Arms `pin` for the reader's next read of that purpose, replacing an older one; wipes the argument. */
  void arm(const std::string& reader, PinPurpose purpose, std::string& pin);
  void arm(const std::string& reader, std::string& pin) { arm(reader, PinPurpose::auth, pin); }
  using PinSource::take;
  std::optional<SecretPin> take(const std::string& reader, PinPurpose purpose,
                                std::chrono::milliseconds timeout) override;
  void discard(const std::string& reader, PinPurpose purpose) override;
  void wake_all() override;

 private:
  struct Armed {
    SecretPin pin;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::pair<std::string, PinPurpose>, Armed> armed_;
  unsigned wake_generation_ = 0;
};

/** True for exactly four ASCII digits: the auth PIN (jpki.md §2.2 EF 0018) and the card-face PIN (§3 EF 0011). */
bool auth_pin_format_ok(const std::string& pin);

}  // namespace kazasu
