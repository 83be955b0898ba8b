#include <gtest/gtest.h>

#include "apdu.hpp"

namespace kazasu::cardsim {
namespace {

CommandApdu parse_ok(const std::string& hex) {
  const ParseResult result = parse_apdu(from_hex(hex));
  EXPECT_TRUE(result.apdu.has_value()) << hex << ": " << result.error;
  return result.apdu.value_or(CommandApdu{});
}

bool is_malformed(const std::string& hex) {
  return !parse_apdu(from_hex(hex)).apdu.has_value();
}

TEST(ApduParse, Case1HasNeitherDataNorLe) {
  const CommandApdu apdu = parse_ok("00208080");
  EXPECT_EQ(apdu.apdu_case, ApduCase::kCase1);
  EXPECT_EQ(apdu.ins, 0x20);
  EXPECT_EQ(apdu.p1, 0x80);
  EXPECT_EQ(apdu.p2, 0x80);
  EXPECT_TRUE(apdu.data.empty());
  EXPECT_FALSE(apdu.le.has_value());
}

TEST(ApduParse, Case2ShortLeZeroMeans256) {
  const CommandApdu apdu = parse_ok("00B0000000");
  EXPECT_EQ(apdu.apdu_case, ApduCase::kCase2);
  EXPECT_EQ(apdu.le, 256u);
  EXPECT_FALSE(apdu.extended);
  EXPECT_EQ(parse_ok("00B0000004").le, 4u);
}

TEST(ApduParse, Case2ExtendedLe) {
  const CommandApdu apdu = parse_ok("00B08A04000700");
  EXPECT_EQ(apdu.apdu_case, ApduCase::kCase2);
  EXPECT_TRUE(apdu.extended);
  EXPECT_EQ(apdu.le, 0x0700u);
  EXPECT_EQ(parse_ok("00B0000000"
                     "0000")
                .le,
            65536u);
}

TEST(ApduParse, Case3ShortCarriesData) {
  const CommandApdu apdu = parse_ok("00A4040C0AD392F000260100000001");
  EXPECT_EQ(apdu.apdu_case, ApduCase::kCase3);
  EXPECT_EQ(apdu.data, from_hex("D392F000260100000001"));
  EXPECT_FALSE(apdu.le.has_value());
}

TEST(ApduParse, Case4ShortCarriesDataAndLe) {
  const CommandApdu apdu = parse_ok("802A00800301020300");
  EXPECT_EQ(apdu.apdu_case, ApduCase::kCase4);
  EXPECT_EQ(apdu.data, from_hex("010203"));
  EXPECT_EQ(apdu.le, 256u);
}

TEST(ApduParse, Case3And4Extended) {
  const CommandApdu c3 = parse_ok("802A0080000003AABBCC");
  EXPECT_EQ(c3.apdu_case, ApduCase::kCase3);
  EXPECT_TRUE(c3.extended);
  EXPECT_EQ(c3.data, from_hex("AABBCC"));
  const CommandApdu c4 = parse_ok("802A0080000003AABBCC0100");
  EXPECT_EQ(c4.apdu_case, ApduCase::kCase4);
  EXPECT_EQ(c4.le, 0x100u);
  EXPECT_EQ(c4.data, from_hex("AABBCC"));
}

TEST(ApduParse, RejectsMalformedLengths) {
  EXPECT_TRUE(is_malformed(""));
  EXPECT_TRUE(is_malformed("00A404"));                // no P2
  EXPECT_TRUE(is_malformed("00A4040C05D392"));        // Lc 5, 2 bytes
  EXPECT_TRUE(is_malformed("00A4040C02D392F0F0F0"));  // Lc 2, 4 bytes after it
  EXPECT_TRUE(is_malformed("00B0000000FF"));          // extended marker then 1 byte
  EXPECT_TRUE(is_malformed("002000800000000100"));    // extended Lc of zero
  EXPECT_TRUE(is_malformed("802A0080000005AABB"));    // extended Lc 5, 2 bytes
}

TEST(ApduResponse, SerializesDataThenStatusWord) {
  const ResponseApdu response{from_hex("0102"), 0x6A82};
  EXPECT_EQ(response.serialize(), from_hex("01026A82"));
  EXPECT_EQ(ResponseApdu::status(0x9000).serialize(), from_hex("9000"));
}

}  // namespace
}  // namespace kazasu::cardsim
