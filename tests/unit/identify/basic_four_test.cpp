// The basic four: EF 0002's BER-TLV on its edge cases, and the read through
// the text AP against the in-process card model (PIN tries, lock, removal),
// never touching the My Number file.
#include <gtest/gtest.h>

#include "fake_channels.hpp"
#include "identify/basic_four_reader.hpp"
#include "test_cards.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using test::hex;
using test::SimCardChannel;

// FF20 { DF21 offsets, DF22 "AB", DF23 "X", DF24 "19800217", DF25 "2" } + filler.
const char* kSmall =
    "FF 20 23 DF21 08 000E0012 00160021 DF22 02 4142 DF23 01 58 DF24 08 3139383030323137 DF25 01 32 FF FF";

apdu::Bytes with_outer(const std::string& outer_header, const std::string& inner) {
  return hex(outer_header + inner);
}

TEST(BasicFourParse, ReadsTheFourFieldsAndIgnoresFiller) {
  BasicFour four;
  auto r = parse_basic_four(hex(kSmall), four);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(four.name, "AB");
  EXPECT_EQ(four.address, "X");
  EXPECT_EQ(four.birth_date, "19800217");
  EXPECT_EQ(four.sex, "2");
}

TEST(BasicFourParse, TakesTheLongLengthForms) {
  const std::string inner = "DF22 02 4142 DF23 01 58 DF24 08 3139383030323137 DF25 01 31";
  BasicFour a;
  ASSERT_TRUE(parse_basic_four(with_outer("FF 20 81 18 ", inner), a));
  BasicFour b;
  ASSERT_TRUE(parse_basic_four(with_outer("FF 20 82 00 18 ", inner), b));
  EXPECT_EQ(b.sex, "1");
  // A field's own length may use the long form too.
  BasicFour c;
  auto r = parse_basic_four(hex("FF 20 82 00 19 DF22 81 02 4142 DF23 01 58 DF24 08 3139383030323137 DF25 01 31"), c);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(c.name, "AB");
}

struct Bad {
  const char* name;
  const char* bytes;
  const char* says;
};
class BasicFourMalformed : public ::testing::TestWithParam<Bad> {};

TEST_P(BasicFourMalformed, IsReadFailedAndNamesTheProblemNotTheContent) {
  BasicFour four;
  auto r = parse_basic_four(hex(GetParam().bytes), four);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "read_failed");
  EXPECT_NE(r.error().message.find(GetParam().says), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("AB"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BasicFourMalformed,
    ::testing::Values(
        Bad{"WrongOuterTag", "FF 21 03 DF22 00", "FF20"}, Bad{"Truncated", "FF 20 1E DF21 08 000E", "ends inside"},
        Bad{"EmptyFile", "", "ends inside"}, Bad{"IndefiniteLength", "FF 20 80 DF22 00 0000", "length form"},
        Bad{"ThreeByteLength", "FF 20 83 00 00 05 DF22 00", "length form"},
        Bad{"ThreeByteTag", "FF 20 04 DF A2 01 00", "tag longer"},
        Bad{"FieldPastItsParent", "FF 20 04 DF22 05 4142", "runs past"},
        Bad{"MissingSex", "FF 20 14 DF22 02 4142 DF23 01 58 DF24 08 3139383030323137", "missing"},
        Bad{"TwiceTheName", "FF 20 1D DF22 02 4142 DF22 02 4142 DF23 01 58 DF24 08 3139383030323137 DF25 01 31",
            "twice"},
        Bad{"BirthNotDigits", "FF 20 18 DF22 02 4142 DF23 01 58 DF24 08 3139383041323137 DF25 01 31", "YYYYMMDD"},
        Bad{"BirthTooShort", "FF 20 16 DF22 02 4142 DF23 01 58 DF24 06 313938303032 DF25 01 31", "YYYYMMDD"},
        Bad{"SexNotIso5218", "FF 20 18 DF22 02 4142 DF23 01 58 DF24 08 3139383030323137 DF25 01 33", "ISO 5218"},
        Bad{"NameNotUtf8", "FF 20 18 DF22 02 C328 DF23 01 58 DF24 08 3139383030323137 DF25 01 31", "UTF-8"},
        Bad{"NameWithNul", "FF 20 18 DF22 02 4100 DF23 01 58 DF24 08 3139383030323137 DF25 01 31", "UTF-8"},
        Bad{"CutUtf8Sequence", "FF 20 18 DF22 02 41E3 DF23 01 58 DF24 08 3139383030323137 DF25 01 31", "UTF-8"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(BasicFourParse, UnknownFieldsOfALaterCardAreSkipped) {
  BasicFour four;
  auto r =
      parse_basic_four(hex("FF 20 1C DF22 02 4142 DF2F 01 00 DF23 01 58 DF24 08 3139383030323137 DF25 01 39"), four);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(four.sex, "9");
}

TEST(BasicFourParse, ElementSizeNeedsOnlyTheHeader) {
  const auto b = hex("FF 20 82 01 30");
  auto whole = ber_element_size(b.data(), b.size());
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole.value(), 5u + 0x130u);
  auto cut = ber_element_size(b.data(), 3);
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut.value(), 0u) << "a header cut short asks for more bytes";
  const auto other = hex("30 82 01 30");
  EXPECT_FALSE(ber_element_size(other.data(), other.size()));
}

class BasicFourRead : public ::testing::Test {
 protected:
  BasicInfoRead read(SimCardChannel& ch, std::chrono::milliseconds timeout = 0ms) {
    return read_basic_four(ch, pins, BasicFourOptions{"counter-1", timeout});
  }
  void arm(std::string pin) { pins.arm("counter-1", PinPurpose::basic_info, pin); }
  static bool touched_my_number(const std::vector<apdu::Bytes>& commands) {
    for (const auto& c : commands) {
      if (apdu::to_hex(c) == "00A4020C020001") return true;
      if (c.size() >= 4 && c[1] == 0xB0 && c[2] == 0x81) return true;
    }
    return false;
  }
  ArmedPinSource pins{10s};
};

TEST_F(BasicFourRead, TheCardFacePinOpensTheBasicFour) {
  cardsim::Card card = cardsim::testing::load_card(cardsim::testing::make_test_card("valid"));
  SimCardChannel ch(card);
  arm("1234");
  const BasicInfoRead r = read(ch);
  ASSERT_EQ(r.status, "read") << r.message;
  ASSERT_TRUE(r.data);
  EXPECT_EQ(r.data->name, "試験\u3000太郎");
  EXPECT_EQ(r.data->address, "東京都テスト市試験町一丁目２番３号");
  EXPECT_EQ(r.data->birth_date, "19800217");
  EXPECT_EQ(r.data->sex, "1");
  EXPECT_FALSE(touched_my_number(ch.commands));
  EXPECT_FALSE(pins.take("counter-1", PinPurpose::basic_info, 0ms)) << "the PIN is used once";
}

TEST_F(BasicFourRead, AnAuthPinIsNotTakenForTheCardFace) {
  cardsim::Card card = cardsim::testing::load_card(cardsim::testing::make_test_card("valid"));
  SimCardChannel ch(card);
  std::string pin = "1234";
  pins.arm("counter-1", PinPurpose::auth, pin);
  EXPECT_EQ(read(ch).status, "no_pin");
  EXPECT_TRUE(pins.take("counter-1", PinPurpose::auth, 0ms)) << "the auth PIN stays for a possession read";
}

TEST_F(BasicFourRead, ALongAddressSpansSeveralReads) {
  std::string address;
  for (int i = 0; i < 40; ++i) address += "長";  // 120 bytes of UTF-8
  address += "町１番地";
  address += address;  // past 256 bytes: the outer length takes the 82 form
  const auto dir = cardsim::testing::make_test_card("valid", {"--address", address, "--sex", "2"});
  cardsim::Card card = cardsim::testing::load_card(dir);
  SimCardChannel ch(card);
  arm("1234");
  const BasicInfoRead r = read(ch);
  ASSERT_EQ(r.status, "read") << r.message;
  EXPECT_EQ(r.data->address, address);
  EXPECT_EQ(r.data->sex, "2");
  int reads = 0;
  for (const auto& c : ch.commands) reads += c[1] == 0xB0;
  EXPECT_GE(reads, 2);
}

TEST_F(BasicFourRead, NoPinMeansNoRead) {
  cardsim::Card card = cardsim::testing::load_card(cardsim::testing::make_test_card("valid"));
  SimCardChannel ch(card);
  const BasicInfoRead r = read(ch, 20ms);
  EXPECT_EQ(r.status, "no_pin");
  EXPECT_NE(r.message.find("--for basic_info"), std::string::npos) << r.message;
  EXPECT_FALSE(r.data);
  for (const auto& c : ch.commands) EXPECT_FALSE(c[1] == 0x20 && c.size() > 4) << "no VERIFY with a PIN was sent";
}

TEST_F(BasicFourRead, WrongPinsCountDownThenLockAndALockedPinIsNeverTried) {
  const auto dir = cardsim::testing::make_test_card("valid");
  cardsim::Card card = cardsim::testing::load_card(dir);
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    SimCardChannel ch(card);
    arm("9999");
    const BasicInfoRead r = read(ch);
    seen.push_back(r.status + ": " + r.message);
    EXPECT_FALSE(r.data);
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_NE(seen[0].find("pin_wrong: wrong card-face PIN; 2 tries left"), std::string::npos) << seen[0];
  EXPECT_NE(seen[1].find("pin_wrong: wrong card-face PIN; 1 try left"), std::string::npos) << seen[1];
  EXPECT_NE(seen[2].find("pin_locked"), std::string::npos) << seen[2];

  SimCardChannel ch(card);
  arm("1234");
  const BasicInfoRead r = read(ch);
  EXPECT_EQ(r.status, "pin_locked");
  EXPECT_NE(r.message.find("city office"), std::string::npos);
  for (const auto& c : ch.commands) EXPECT_FALSE(c[1] == 0x20 && c.size() > 4) << "a locked PIN is never tried";
  EXPECT_FALSE(pins.take("counter-1", PinPurpose::basic_info, 0ms))
      << "a PIN typed for a locked card is dropped, never tried on the next card";
}

TEST_F(BasicFourRead, ACardWithoutTheTextApIsNotAvailable) {
  cardsim::Card card = cardsim::testing::load_card(cardsim::testing::make_test_card("badge"));
  SimCardChannel ch(card);
  arm("1234");
  const BasicInfoRead r = read(ch);
  EXPECT_EQ(r.status, "not_available");
  EXPECT_FALSE(pins.take("counter-1", PinPurpose::basic_info, 0ms));
}

TEST_F(BasicFourRead, ACardPulledAwayMidReadIsReadFailed) {
  cardsim::Card card = cardsim::testing::load_card(cardsim::testing::make_test_card("valid"));
  SimCardChannel ch(card);
  ch.remove_after(5);  // after VERIFY, during SELECT EF 0002 / READ BINARY
  arm("1234");
  const BasicInfoRead r = read(ch);
  EXPECT_EQ(r.status, "read_failed");
  EXPECT_FALSE(r.data);
}

}  // namespace
}  // namespace kazasu
