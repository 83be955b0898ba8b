// Purpose-bound pseudonymous tokens (design.md "Cards"):
//   token = HMAC-SHA256(site secret, purpose 0x00 kind 0x00 issuer 0x00 subject)
// The purpose is the plugin's name, so two plugins never see the same token for
// one card and cannot join their records. The NUL separators keep the fields
// from running into each other.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/tap.hpp"

namespace kazasu {

class TokenKey {
 public:
  /**
   * Loads the site secret. Throws std::runtime_error saying why when the file
   * is missing, too short, not a regular file, or readable by group or others.
   */
  static TokenKey load(const std::filesystem::path& file);
  /** For unit tests: a key from bytes. */
  explicit TokenKey(std::vector<unsigned char> secret);
  ~TokenKey();
  TokenKey(TokenKey&&) noexcept = default;
  TokenKey& operator=(TokenKey&&) noexcept = default;
  TokenKey(const TokenKey&) = delete;
  TokenKey& operator=(const TokenKey&) = delete;

  /** 64 lower-case hex characters. */
  [[nodiscard]] std::string derive(const std::string& purpose, const CardIdentity& identity) const;

 private:
  std::vector<unsigned char> secret_;
};

}  // namespace kazasu
