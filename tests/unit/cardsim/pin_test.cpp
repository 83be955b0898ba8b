#include <gtest/gtest.h>

#include "pin.hpp"
#include "status_words.hpp"

namespace kazasu::cardsim {
namespace {

TEST(PinCounter, WrongPinsCountDownTo63C0ThenBlockWith6984) {
  PinCounter pin("auth_pin", "1234", 3, 3);
  EXPECT_EQ(pin.verify(to_bytes("0000")), 0x63C2);
  EXPECT_EQ(pin.verify(to_bytes("0000")), 0x63C1);
  EXPECT_EQ(pin.verify(to_bytes("0000")), 0x63C0);  // the try that blocks it
  EXPECT_EQ(pin.remaining(), 0);
  EXPECT_EQ(pin.verify(to_bytes("1234")), kSwPinBlocked);  // even the right PIN
  EXPECT_FALSE(pin.verified());
}

TEST(PinCounter, RightPinResetsTheCounter) {
  PinCounter pin("auth_pin", "1234", 3, 3);
  EXPECT_EQ(pin.verify(to_bytes("9999")), 0x63C2);
  EXPECT_EQ(pin.verify(to_bytes("1234")), kSwOk);
  EXPECT_TRUE(pin.verified());
  EXPECT_EQ(pin.remaining(), 3);
  EXPECT_EQ(pin.verify(to_bytes("9999")), 0x63C2);  // back from 3, not from 2
}

TEST(PinCounter, EmptyVerifyReportsTriesWithoutSpendingOne) {
  PinCounter pin("sign_password", "ABC123", 5, 5);
  EXPECT_EQ(pin.query(), 0x63C5);
  EXPECT_EQ(pin.query(), 0x63C5);
  EXPECT_EQ(pin.remaining(), 5);
  EXPECT_EQ(pin.verify(to_bytes("ABC123")), kSwOk);
  EXPECT_EQ(pin.query(), kSwOk);  // already verified
}

TEST(PinCounter, WrongPinAfterSuccessDropsTheVerifiedState) {
  PinCounter pin("text_pin", "1234", 3, 3);
  ASSERT_EQ(pin.verify(to_bytes("1234")), kSwOk);
  EXPECT_EQ(pin.verify(to_bytes("123")), 0x63C2);  // wrong length is just a wrong PIN
  EXPECT_FALSE(pin.verified());
}

TEST(PinCounter, PowerOffClearsVerifiedButNotTheCounter) {
  PinCounter pin("auth_pin", "1234", 3, 2);
  ASSERT_EQ(pin.verify(to_bytes("1234")), kSwOk);
  pin.clear_verified();
  EXPECT_FALSE(pin.verified());
  EXPECT_EQ(pin.query(), 0x63C3);
}

TEST(PinCounter, StartsBlockedWhenTheProfileSaysZero) {
  PinCounter pin("auth_pin", "1234", 3, 0);
  EXPECT_EQ(pin.query(), 0x63C0);
  EXPECT_EQ(pin.verify(to_bytes("1234")), kSwPinBlocked);
}

}  // namespace
}  // namespace kazasu::cardsim
