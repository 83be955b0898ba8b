// Purpose-bound pseudonymous tokens (design.md "Cards"):
//   token = HMAC-SHA256(site secret, purpose 0x00 kind 0x00 issuer 0x00 subject)
// The purpose is the plugin's name, so two plugins never see the same token for
// one card and cannot join their records. The NUL separators keep the fields
// from running into each other.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/tap.hpp"

namespace kazasu {

/** The user kazasud will run as, when that is not the user doing the check. */
struct SecretReader {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, the primary one included
  /** Looks a user up by name (getpwnam, getgrouplist); nullopt when there is none. */
  static std::optional<SecretReader> lookup(const std::string& name);
};

/**
 * The checks TokenKey::load makes, without keeping the secret: nullopt when
 * kazasud could load `file`, else the sentence TokenKey::load would throw.
 * The file must exist, be a regular file with no group/other permission bits
 * and hold at least 32 bytes (a trailing newline is ignored). Without
 * `reader` it must open for reading as the calling user; with a `reader` of
 * another uid (root checking for the service user) it must be owned by that
 * user (unless root) with the owner read bit, and every directory on its path
 * must be searchable by that user. ACLs and capabilities are not looked at.
 */
std::optional<std::string> check_secret_file(const std::filesystem::path& file,
                                             const std::optional<SecretReader>& reader = std::nullopt);

class TokenKey {
 public:
  /**
   * Loads the site secret as the calling user. Throws std::runtime_error with
   * the sentence check_secret_file gives when it cannot be used.
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
