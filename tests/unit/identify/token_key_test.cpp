// Tokens are purpose-bound, stable, and come only from a secret file that no
// one but its owner can read.
#include <gtest/gtest.h>

#include "identify/token_key.hpp"
#include "process.hpp"

namespace kazasu {
namespace {

const CardIdentity kCard{"jpki", "fast", "C=JP, O=JPKI", "1A2B3C"};

TEST(TokenKey, SamePurposeAndCardGiveTheSameToken) {
  TokenKey key(std::vector<unsigned char>(32, 7));
  EXPECT_EQ(key.derive("library", kCard), key.derive("library", kCard));
  EXPECT_EQ(key.derive("library", kCard).size(), 64u);
}

TEST(TokenKey, PluginsCannotJoinTheirRecords) {
  TokenKey key(std::vector<unsigned char>(32, 7));
  EXPECT_NE(key.derive("library", kCard), key.derive("attendance", kCard));
}

TEST(TokenKey, RenewedCertificateIsANewToken) {
  TokenKey key(std::vector<unsigned char>(32, 7));
  CardIdentity renewed = kCard;
  renewed.subject = "1A2B3D";
  EXPECT_NE(key.derive("library", kCard), key.derive("library", renewed));
}

TEST(TokenKey, FieldsCannotRunIntoEachOther) {
  // Without separators "ab"+"c" and "a"+"bc" would collide.
  TokenKey key(std::vector<unsigned char>(32, 7));
  EXPECT_NE(key.derive("x", CardIdentity{"jpki", "", "ab", "c"}), key.derive("x", CardIdentity{"jpki", "", "a", "bc"}));
}

TEST(TokenKey, MatchesHmacSha256OfTheDocumentedMessage) {
  // HMAC-SHA256(key = 32 x 0x07, "library\0jpki\0C=JP, O=JPKI\01A2B3C"), computed with
  // `openssl dgst -sha256 -mac HMAC -macopt hexkey:0707...07`.
  TokenKey key(std::vector<unsigned char>(32, 7));
  EXPECT_EQ(key.derive("library", kCard), "a2a867f91ecf8827a3887f22df78a10bbcf989efd5340074a80218d6fc4b24a5");
}

TEST(TokenKey, DifferentSecretsGiveDifferentTokens) {
  TokenKey a(std::vector<unsigned char>(32, 7));
  TokenKey b(std::vector<unsigned char>(32, 8));
  EXPECT_NE(a.derive("library", kCard), b.derive("library", kCard));
}

TEST(TokenKey, RefusesASecretOthersCanRead) {
  test::TempDir dir;
  const auto file = dir.path() / "site.secret";
  test::write_file(file, std::string(64, 'a'), 0644);
  try {
    TokenKey::load(file);
    FAIL() << "a world-readable secret was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "secret file " + file.string() +
                                         " has mode 0644; it must be readable by its owner only (chmod 600 " +
                                         file.string() + ")");
  }
}

TEST(TokenKey, RefusesAShortSecretAndAMissingFile) {
  test::TempDir dir;
  const auto file = dir.path() / "site.secret";
  test::write_file(file, "short\n", 0600);
  EXPECT_THROW(TokenKey::load(file), std::runtime_error);
  EXPECT_THROW(TokenKey::load(dir.path() / "absent"), std::runtime_error);
}

TEST(TokenKey, LoadsAnOwnerOnlySecret) {
  test::TempDir dir;
  const auto file = dir.path() / "site.secret";
  test::write_file(file, std::string(64, 'a') + "\n", 0600);
  const TokenKey key = TokenKey::load(file);
  // The trailing newline is not part of the secret.
  EXPECT_EQ(key.derive("p", kCard), TokenKey(std::vector<unsigned char>(64, 'a')).derive("p", kCard));
}

}  // namespace
}  // namespace kazasu
