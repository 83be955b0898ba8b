#include "identify/jpki_identifier.hpp"

#include <gtest/gtest.h>

#include "fake_channels.hpp"
#include "identify/identifier_chain.hpp"
#include "identify/uid_identifier.hpp"
#include "test_cards.hpp"

namespace kazasu {
namespace {

namespace fs = std::filesystem;
using test::hex;
using test::ScriptedChannel;
using test::SimCardChannel;

std::shared_ptr<const TrustStore> test_trust() {
  static auto ts = TrustStore::load({cardsim::testing::test_ca_dir() / "auth_ca_cert.pem"});
  return ts;
}

JpkiOptions options(JpkiLevel level) {
  JpkiOptions o;
  o.level = level;
  o.trust = test_trust();
  return o;
}

TEST(JpkiFast, IdentifiesACardWithTwoApdus) {
  cardsim::Card card = cardsim::testing::load_card(cardsim::testing::shared_valid_card());
  SimCardChannel ch(card);
  JpkiIdentifier id(options(JpkiLevel::fast));
  auto r = id.identify(ch);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, "jpki");
  EXPECT_EQ(r->assurance, "fast");
  EXPECT_EQ(
      r->issuer,
      "C=JP, O=JPKI-TEST, OU=JPKI for user authentication, OU=Japan Agency for Local Authority Information Systems");
  EXPECT_FALSE(r->subject.empty());
  ASSERT_EQ(ch.commands.size(), 2u);
  EXPECT_EQ(apdu::to_hex(ch.commands[0]), "00A4040C0AD392F000260100000001");
  EXPECT_EQ(apdu::to_hex(ch.commands[1]), "00B08A0000");
}

TEST(JpkiFast, FallsBackToSelectEfWhenTheCardRefusesTheShortEfForm) {
  cardsim::Card card = cardsim::testing::load_card(cardsim::testing::shared_valid_card());
  SimCardChannel sim(card);
  JpkiIdentifier fast(options(JpkiLevel::fast));
  auto expected = fast.identify(sim);
  ASSERT_TRUE(expected);
  // Replay the card's answers, except that the SFI read is refused.
  cardsim::Card card2 = cardsim::testing::load_card(cardsim::testing::shared_valid_card());
  const auto answer = [&card2](const std::string& c) {
    const cardsim::ResponseApdu r = card2.process(hex(c));
    apdu::Bytes b = r.data;
    b.push_back(static_cast<std::uint8_t>(r.sw >> 8));
    b.push_back(static_cast<std::uint8_t>(r.sw));
    return apdu::to_hex(b);
  };
  ScriptedChannel ch;
  ch.expect("00A4040C0AD392F000260100000001", answer("00A4040C0AD392F000260100000001"));
  ch.expect("00B08A0000", "6A86");
  ch.expect("00A4020C02000A", answer("00A4020C02000A"));
  ch.expect("00B0000000", answer("00B0000000"));
  auto r = fast.identify(ch);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->subject, expected->subject);
  EXPECT_EQ(r->issuer, expected->issuer);
  EXPECT_TRUE(ch.done());
}

TEST(JpkiFast, SaysNotThisCardWhenTheJpkiApIsMissing) {
  ScriptedChannel ch;
  ch.expect("00A4040C0AD392F000260100000001", "6A82");
  JpkiIdentifier id(options(JpkiLevel::fast));
  auto r = id.identify(ch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, kNotThisCard);
}

TEST(JpkiVerified, ReadsTheWholeCertificateAndYieldsTheSameIdentityAsFast) {
  cardsim::Card card = cardsim::testing::load_card(cardsim::testing::shared_valid_card());
  SimCardChannel fast_ch(card);
  auto fast = JpkiIdentifier(options(JpkiLevel::fast)).identify(fast_ch);
  ASSERT_TRUE(fast);
  for (bool extended : {false, true}) {
    SimCardChannel ch(card, extended);
    auto r = JpkiIdentifier(options(JpkiLevel::verified)).identify(ch);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->assurance, "verified");
    EXPECT_EQ(r->subject, fast->subject);
    EXPECT_EQ(r->issuer, fast->issuer);
    if (extended) {
      ASSERT_EQ(ch.commands.size(), 3u);  // SELECT, SFI head, one extended read of the rest
      EXPECT_EQ(ch.commands[2].size(), 7u);
    } else {
      EXPECT_GE(ch.commands.size(), 4u);  // a >512-byte certificate needs 256-byte chunks
      for (std::size_t i = 2; i < ch.commands.size(); ++i) EXPECT_EQ(ch.commands[i].size(), 5u);
    }
  }
}

struct Refusal {
  const char* variant;
  const char* reason;
};

class JpkiRefusal : public ::testing::TestWithParam<Refusal> {};

TEST_P(JpkiRefusal, RefusesTheCardWithItsReason) {
  const fs::path dir = cardsim::testing::make_test_card(GetParam().variant);
  cardsim::Card card = cardsim::testing::load_card(dir);
  SimCardChannel ch(card);
  auto r = JpkiIdentifier(options(JpkiLevel::verified)).identify(ch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, GetParam().reason);
  EXPECT_FALSE(r.error().message.empty());
  // `fast` does not check: the same card identifies there.
  SimCardChannel ch2(card);
  EXPECT_TRUE(JpkiIdentifier(options(JpkiLevel::fast)).identify(ch2));
}

INSTANTIATE_TEST_SUITE_P(Variants, JpkiRefusal,
                         ::testing::Values(Refusal{"expired", "expired"}, Refusal{"not-yet-valid", "not_yet_valid"},
                                           Refusal{"wrong-ca", "untrusted"}));

TEST(JpkiVerified, ReportsACardPulledMidReadAsReadFailed) {
  cardsim::Card card = cardsim::testing::load_card(cardsim::testing::shared_valid_card());
  SimCardChannel ch(card);
  ch.remove_after(3);
  auto r = JpkiIdentifier(options(JpkiLevel::verified)).identify(ch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "read_failed");
}

TEST(JpkiVerified, RefusesACertificateCutShortByTheCard) {
  ScriptedChannel ch;
  ch.expect("00A4040C0AD392F000260100000001", "9000");
  // Header says 0x0400 bytes, the file then ends.
  ch.expect("00B08A0000", "308204003082 9000");
  ch.expect("00B0000600", "6B00");
  auto r = JpkiIdentifier(options(JpkiLevel::verified)).identify(ch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "read_failed");
}

TEST(IdentifierChain, TriesTheAcceptListInOrder) {
  const fs::path badge = cardsim::testing::make_test_card("badge", {"--uid", "04A1B2C3D4E5F6"});
  cardsim::Card card = cardsim::testing::load_card(badge);
  std::vector<std::unique_ptr<Identifier>> ids;
  ids.push_back(std::make_unique<JpkiIdentifier>(options(JpkiLevel::fast)));
  ids.push_back(std::make_unique<UidIdentifier>());
  IdentifierChain chain(std::move(ids));
  SimCardChannel ch(card);
  auto r = chain.identify(ch);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, "uid");
  EXPECT_EQ(r->assurance, "uid");
  EXPECT_EQ(r->subject, "04A1B2C3D4E5F6");

  std::vector<std::unique_ptr<Identifier>> only_jpki;
  only_jpki.push_back(std::make_unique<JpkiIdentifier>(options(JpkiLevel::fast)));
  SimCardChannel ch2(card);
  auto refused = IdentifierChain(std::move(only_jpki)).identify(ch2);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "card_not_accepted");
}

TEST(UidIdentifier, SaysNotThisCardWhenTheReaderHasNoUid) {
  ScriptedChannel ch;
  ch.expect("FFCA000000", "6A81");
  auto r = UidIdentifier().identify(ch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, kNotThisCard);
}

}  // namespace
}  // namespace kazasu
