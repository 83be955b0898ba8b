#include "identify/card_channel.hpp"

#include <gtest/gtest.h>

#include "fake_channels.hpp"

namespace kazasu {
namespace {

using test::hex;
using test::ScriptedChannel;

TEST(CardChannel, JoinsChained61xxResponsesWithGetResponse) {
  ScriptedChannel ch;
  ch.expect("80 2A 00 80 02 AA BB 00", "61 04");
  ch.expect("00 C0 00 00 04", "01 02 03 04 61 02");
  ch.expect("00 C0 00 00 02", "05 06 90 00");
  auto r = ch.transmit(hex("80 2A 00 80 02 AA BB 00"));
  ASSERT_TRUE(r);
  EXPECT_EQ(apdu::to_hex(r->data), "010203040506");
  EXPECT_EQ(r->sw, 0x9000);
  EXPECT_EQ(ch.apdu_count(), 3u);
  EXPECT_TRUE(ch.done());
}

TEST(CardChannel, ResendsWithTheLeThe6CxxAnswerGives) {
  ScriptedChannel ch;
  ch.expect("FF CA 00 00 00", "6C 07");
  ch.expect("FF CA 00 00 07", "04 11 22 33 44 55 66 90 00");
  auto r = ch.transmit(hex("FF CA 00 00 00"));
  ASSERT_TRUE(r);
  EXPECT_EQ(apdu::to_hex(r->data), "04112233445566");
  EXPECT_TRUE(r->ok());
}

TEST(CardChannel, HandlesA6CxxAnswerToGetResponse) {
  ScriptedChannel ch;
  ch.expect("00 B0 00 00 00", "61 10");
  ch.expect("00 C0 00 00 10", "6C 03");
  ch.expect("00 C0 00 00 03", "AA BB CC 90 00");
  auto r = ch.transmit(hex("00 B0 00 00 00"));
  ASSERT_TRUE(r);
  EXPECT_EQ(apdu::to_hex(r->data), "AABBCC");
}

TEST(CardChannel, LeavesOtherStatusWordsToTheCaller) {
  ScriptedChannel ch;
  ch.expect("00 A4 04 0C 02 A0 00", "6A 82");
  auto r = ch.transmit(hex("00 A4 04 0C 02 A0 00"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sw, 0x6A82);
  EXPECT_TRUE(r->data.empty());
}

TEST(CardChannel, ReportsATransportFailureAsReadFailed) {
  ScriptedChannel ch;
  ch.fail_next();
  auto r = ch.transmit(hex("00 B0 8A 00 00"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "read_failed");
}

TEST(CardChannel, RefusesAResponseWithoutStatusWord) {
  ScriptedChannel ch;
  ch.expect("00 B0 8A 00 00", "90");
  auto r = ch.transmit(hex("00 B0 8A 00 00"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "read_failed");
}

TEST(CardChannel, NeverSendsASelectOfTheMyNumberFile) {
  ScriptedChannel ch;
  ch.expect("00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08", "90 00");
  ASSERT_TRUE(ch.transmit(hex("00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08")));
  // With the text AP current, EF 0001 (by FID or by SFI) never reaches the card.
  for (const char* c : {"00 A4 02 0C 02 00 01", "00 A4 02 00 02 00 01", "00 B0 81 00 00", "00 B0 81 03 0C"}) {
    auto r = ch.transmit(hex(c));
    ASSERT_FALSE(r) << c;
    EXPECT_EQ(r.error().reason, "privacy_refused");
  }
  EXPECT_EQ(ch.apdu_count(), 1u);
  // The basic-four EF 0002 stays reachable for the later card.basic_info work.
  ch.expect("00 A4 02 0C 02 00 02", "90 00");
  EXPECT_TRUE(ch.transmit(hex("00 A4 02 0C 02 00 02")));
  // Under the JPKI AP, EF 0001 is the signing certificate and not the My Number.
  ch.expect("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01", "90 00");
  ch.expect("00 A4 02 0C 02 00 01", "90 00");
  EXPECT_TRUE(ch.transmit(hex("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01")));
  EXPECT_TRUE(ch.transmit(hex("00 A4 02 0C 02 00 01")));
}

}  // namespace
}  // namespace kazasu
