// The default card PIN of kazasu-cardsim make-card is 1234 (docs/cardsim.md).
#include <gtest/gtest.h>

#include "fake_channels.hpp"
#include "identify/jpki_identifier.hpp"
#include "test_cards.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using test::SimCardChannel;

class Possession : public ::testing::Test {
 protected:
  JpkiIdentifier identifier(std::chrono::milliseconds timeout = 50ms) {
    JpkiOptions o;
    o.level = JpkiLevel::possession;
    o.trust = TrustStore::load({cardsim::testing::test_ca_dir() / "auth_ca_cert.pem"});
    o.pins = &pins;
    o.reader = "counter-1";
    o.pin_timeout = timeout;
    return JpkiIdentifier(o);
  }
  void arm(std::string pin) { pins.arm("counter-1", pin); }
  ArmedPinSource pins{10s};
};

TEST_F(Possession, ProvesTheKeyWithTheRightPin) {
  const auto dir = cardsim::testing::make_test_card("valid");
  cardsim::Card card = cardsim::testing::load_card(dir);
  SimCardChannel ch(card);
  arm("1234");
  auto r = identifier().identify(ch);
  ASSERT_TRUE(r) << r.error().reason << ": " << r.error().message;
  EXPECT_EQ(r->assurance, "possession");
  // The PIN was used once and is gone.
  EXPECT_FALSE(pins.take("counter-1", 0ms));
  // VERIFY with data and the signature command are both there.
  bool signed_ = false;
  for (const auto& c : ch.commands) signed_ |= c.size() > 4 && c[0] == 0x80 && c[1] == 0x2A;
  EXPECT_TRUE(signed_);
}

TEST_F(Possession, ReportsAWrongPinWithTheTriesLeftAndNeverRetries) {
  const auto dir = cardsim::testing::make_test_card("valid");
  cardsim::Card card = cardsim::testing::load_card(dir);
  SimCardChannel ch(card);
  arm("1111");
  auto r = identifier().identify(ch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "pin_wrong");
  EXPECT_NE(r.error().message.find("2 tries left"), std::string::npos) << r.error().message;
  int verifies = 0;
  for (const auto& c : ch.commands) verifies += c.size() > 5 && c[1] == 0x20;
  EXPECT_EQ(verifies, 1);
}

TEST_F(Possession, RefusesALockedCardBeforeAskingForThePin) {
  const auto dir = cardsim::testing::make_test_card("locked-pin");
  cardsim::Card card = cardsim::testing::load_card(dir);
  SimCardChannel ch(card);
  arm("1234");
  auto r = identifier().identify(ch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "pin_locked");
  EXPECT_NE(r.error().message.find("city office"), std::string::npos);
  EXPECT_FALSE(pins.take("counter-1", 0ms)) << "a PIN typed for a locked card is dropped, never tried on the next card";
}

TEST_F(Possession, LocksOnTheLastTryAndSaysSo) {
  const auto dir = cardsim::testing::make_test_card("valid");
  cardsim::Card card = cardsim::testing::load_card(dir);
  std::vector<std::string> reasons;
  for (int i = 0; i < 4; ++i) {
    SimCardChannel ch(card);
    arm("0000");
    auto r = identifier().identify(ch);
    ASSERT_FALSE(r);
    reasons.push_back(r.error().reason);
  }
  EXPECT_EQ(reasons, (std::vector<std::string>{"pin_wrong", "pin_wrong", "pin_locked", "pin_locked"}));
}

TEST_F(Possession, NeedsAPinWithinTheTimeout) {
  const auto dir = cardsim::testing::make_test_card("valid");
  cardsim::Card card = cardsim::testing::load_card(dir);
  SimCardChannel ch(card);
  const auto start = std::chrono::steady_clock::now();
  auto r = identifier(100ms).identify(ch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "pin_required");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

TEST_F(Possession, RefusesAnExpiredCardBeforeThePin) {
  const auto dir = cardsim::testing::make_test_card("expired");
  cardsim::Card card = cardsim::testing::load_card(dir);
  SimCardChannel ch(card);
  arm("1234");
  auto r = identifier().identify(ch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "expired");
}

TEST(ArmedPinSource, ExpiresAnArmedPin) {
  ArmedPinSource pins(std::chrono::milliseconds(30));
  std::string pin = "1234";
  pins.arm("r", pin);
  EXPECT_EQ(pin, std::string(4, '\0')) << "the caller's copy is wiped";
  std::this_thread::sleep_for(60ms);
  EXPECT_FALSE(pins.take("r", 0ms));
}

TEST(ArmedPinSource, HandsAPinToAWaitingReadOnceAndOnlyForItsReader) {
  ArmedPinSource pins(10s);
  std::thread t([&pins] {
    std::this_thread::sleep_for(30ms);
    std::string pin = "9876";
    pins.arm("a", pin);
  });
  EXPECT_FALSE(pins.take("b", 80ms));
  auto got = pins.take("a", 1s);
  t.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->digits(), "9876");
  EXPECT_FALSE(pins.take("a", 0ms));
}

TEST(ArmedPinSource, WakeAllEndsAWait) {
  ArmedPinSource pins(10s);
  std::thread t([&pins] {
    std::this_thread::sleep_for(30ms);
    pins.wake_all();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(pins.take("a", 5s));
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

}  // namespace
}  // namespace kazasu
