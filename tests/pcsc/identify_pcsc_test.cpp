// Each identifier and level through pcscd + vpcd + kazasu-cardsim, and every
// refusal reason a counter sees.
#include <gtest/gtest.h>

#include "reader_harness.hpp"

namespace kazasu::test {
namespace {

using namespace std::chrono_literals;

std::string test_name() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string n = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : n) {
    if (c == '/') c = '_';
  }
  return n;
}

// Taps `card_dir` on reader 0 and returns the read.
CardRead tap(ReaderHarness& h, const std::filesystem::path& card_dir, const std::vector<std::string>& extra = {}) {
  // pcscd notices the previous test's card leaving up to 400 ms late.
  EXPECT_TRUE(wait_for_card(kReader0.name, false, 5s));
  EXPECT_TRUE(h.wait_state(ReaderState::ready, 10s)) << "the reader never became ready";
  h.skip_pending();
  std::vector<std::string> args = {"--trace", trace_file(test_name()).string()};
  args.insert(args.end(), extra.begin(), extra.end());
  CardsimProcess sim(card_dir, kReader0.port, args);
  auto read = h.next_read(10s);
  EXPECT_TRUE(read.has_value()) << "no tap within 10 s";
  return read.value_or(CardRead{});
}

TEST(PcscIdentify, FastReadsSerialAndIssuer) {
  ReaderHarness h(reader_config(kReader0, "fast", {"jpki"}), identify_config());
  const CardRead r = tap(h, card("valid"));
  ASSERT_TRUE(r.identity) << r.identity.error().reason << ": " << r.identity.error().message;
  EXPECT_EQ(r.identity->kind, "jpki");
  EXPECT_EQ(r.identity->assurance, "fast");
  EXPECT_NE(r.identity->issuer.find("O=JPKI-TEST"), std::string::npos);
  EXPECT_FALSE(r.identity->subject.empty());
  EXPECT_EQ(r.reader, "counter-1");
  EXPECT_GT(r.times.detected_ns, 0);
  EXPECT_GE(r.times.identified_ns, r.times.detected_ns);
}

TEST(PcscIdentify, VerifiedAcceptsAValidCardWithTheSameIdentityAsFast) {
  CardRead fast;
  {
    ReaderHarness h(reader_config(kReader0, "fast", {"jpki"}), identify_config());
    fast = tap(h, card("valid"));
  }
  ReaderHarness h(reader_config(kReader0, "verified", {"jpki"}), identify_config());
  const CardRead r = tap(h, card("valid"));
  ASSERT_TRUE(r.identity) << r.identity.error().message;
  ASSERT_TRUE(fast.identity);
  EXPECT_EQ(r.identity->assurance, "verified");
  EXPECT_EQ(r.identity->subject, fast.identity->subject);
  EXPECT_EQ(r.identity->issuer, fast.identity->issuer);
}

struct Refusal {
  const char* variant;
  const char* reason;
};
class PcscRefusal : public ::testing::TestWithParam<Refusal> {};

TEST_P(PcscRefusal, VerifiedRefusesTheCard) {
  ReaderHarness h(reader_config(kReader0, "verified", {"jpki"}), identify_config());
  const CardRead r = tap(h, card(GetParam().variant));
  ASSERT_FALSE(r.identity);
  EXPECT_EQ(r.identity.error().reason, GetParam().reason);
}

INSTANTIATE_TEST_SUITE_P(Variants, PcscRefusal,
                         ::testing::Values(Refusal{"expired", "expired"}, Refusal{"not-yet-valid", "not_yet_valid"},
                                           Refusal{"wrong-ca", "untrusted"}));

TEST(PcscPossession, ProvesTheKeyWithThePinArmedForTheReader) {
  ArmedPinSource pins(10s);
  ReaderHarness h(reader_config(kReader0, "possession", {"jpki"}), identify_config(), &pins);
  std::string pin = "1234";  // make-card's default PIN
  pins.arm("counter-1", pin);
  const CardRead r = tap(h, card("valid"));
  ASSERT_TRUE(r.identity) << r.identity.error().reason << ": " << r.identity.error().message;
  EXPECT_EQ(r.identity->assurance, "possession");
}

TEST(PcscPossession, WrongPinSaysHowManyTriesAreLeft) {
  ArmedPinSource pins(10s);
  ReaderHarness h(reader_config(kReader0, "possession", {"jpki"}), identify_config(), &pins);
  std::string pin = "9999";
  pins.arm("counter-1", pin);
  // A fresh card each run: the simulator keeps its retry counter in state.json.
  TempDir tmp;
  std::filesystem::copy(card("valid"), tmp.path() / "c", std::filesystem::copy_options::recursive);
  const CardRead r = tap(h, tmp.path() / "c");
  ASSERT_FALSE(r.identity);
  EXPECT_EQ(r.identity.error().reason, "pin_wrong");
  EXPECT_NE(r.identity.error().message.find("2 tries left"), std::string::npos) << r.identity.error().message;
}

TEST(PcscPossession, LockedCardIsRefusedAndNeverTried) {
  ArmedPinSource pins(10s);
  ReaderHarness h(reader_config(kReader0, "possession", {"jpki"}), identify_config(), &pins);
  std::string pin = "1234";
  pins.arm("counter-1", pin);
  const CardRead r = tap(h, card("locked-pin"));
  ASSERT_FALSE(r.identity);
  EXPECT_EQ(r.identity.error().reason, "pin_locked");
  EXPECT_FALSE(pins.take("counter-1", 0ms)) << "a PIN typed for a locked card is dropped, never tried on the next card";
}

TEST(PcscPossession, NoPinWithinTheTimeoutIsPinRequired) {
  ArmedPinSource pins(10s);
  ReaderHarness h(reader_config(kReader0, "possession", {"jpki"}), identify_config(300), &pins);
  const CardRead r = tap(h, card("valid"));
  ASSERT_FALSE(r.identity);
  EXPECT_EQ(r.identity.error().reason, "pin_required");
}

TEST(PcscIdentify, UidIdentifiesABadgeOnlyWhereAccepted) {
  {
    ReaderHarness h(reader_config(kReader0, "fast", {"jpki", "uid"}), identify_config());
    const CardRead r = tap(h, card("badge", {"--uid", "04A1B2C3D4E5F6"}));
    ASSERT_TRUE(r.identity) << r.identity.error().message;
    EXPECT_EQ(r.identity->kind, "uid");
    EXPECT_EQ(r.identity->subject, "04A1B2C3D4E5F6");
  }
  ReaderHarness h(reader_config(kReader0, "fast", {"jpki"}), identify_config());
  const CardRead r = tap(h, card("badge", {"--uid", "04A1B2C3D4E5F6"}));
  ASSERT_FALSE(r.identity);
  EXPECT_EQ(r.identity.error().reason, "card_not_accepted");
}

TEST(PcscIdentify, FreeAreaReadsTheMunicipalityId) {
  ReaderHarness h(reader_config(kReader0, "fast", {"freearea", "jpki"}), identify_config());
  const CardRead r = tap(h, card("valid", {"--free-area-id", "LIB-000123"}));
  ASSERT_TRUE(r.identity) << r.identity.error().message;
  EXPECT_EQ(r.identity->kind, "freearea");
  EXPECT_EQ(r.identity->subject, "4C49422D303030313233");  // "LIB-000123"
}

TEST(PcscIdentify, VerifiedWorksWithGetResponseAndDelayedApdus) {
  ReaderHarness h(reader_config(kReader0, "verified", {"jpki"}), identify_config());
  const CardRead r = tap(h, card("valid"), {"--get-response", "--delay-ms", "5"});
  ASSERT_TRUE(r.identity) << r.identity.error().message;
  EXPECT_EQ(r.identity->assurance, "verified");
}

}  // namespace
}  // namespace kazasu::test
