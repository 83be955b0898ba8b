#include <gtest/gtest.h>

#include "applications.hpp"
#include "tlv.hpp"

namespace kazasu::cardsim {
namespace {

Bytes concat(Bytes a, const Bytes& b) {
  append(a, b);
  return a;
}

TEST(Tlv, UsesShortAndLongLengthForms) {
  EXPECT_EQ(ber_length(0x7F), from_hex("7F"));
  EXPECT_EQ(ber_length(0x80), from_hex("8180"));
  EXPECT_EQ(ber_length(0x1234), from_hex("821234"));
  EXPECT_EQ(tlv({0xDF, 0x24}, to_bytes("19800217")), concat(from_hex("DF2408"), to_bytes("19800217")));
}

TEST(Tlv, TotalLengthIgnoresFiller) {
  const Bytes padded = pad_with_filler(from_hex("308203000102"), 64);
  EXPECT_EQ(padded.size(), 64u);
  EXPECT_EQ(padded[6], kFiller);
  EXPECT_EQ(padded.back(), 0xFF);
  EXPECT_EQ(tlv_total_length(padded), 4u + 0x300u);
  EXPECT_EQ(tlv_total_length(from_hex("FF100C")), 15u);  // multi-byte tag
  EXPECT_THROW(pad_with_filler(Bytes(10, 0), 9), std::length_error);
}

TEST(TextAp, MyNumberEfIsTheTlvPlusTwoFillerBytes) {
  const Bytes ef = make_my_number_ef("123456789018");
  ASSERT_EQ(ef.size(), 17u);  // jpki.md §3
  EXPECT_EQ(Bytes(ef.begin(), ef.begin() + 3), from_hex("FF100C"));
  EXPECT_EQ(std::string(ef.begin() + 3, ef.begin() + 15), "123456789018");
  EXPECT_EQ(ef[15], 0xFF);
  EXPECT_EQ(ef[16], 0xFF);
}

// Reads the field whose tag sits at the offset-table entry, as MBX does.
std::string field_at(const Bytes& file, std::size_t offset, const Bytes& tag) {
  EXPECT_EQ(Bytes(file.begin() + static_cast<long>(offset), file.begin() + static_cast<long>(offset) + 2), tag);
  const std::size_t length = file[offset + 2];
  return std::string(file.begin() + static_cast<long>(offset) + 3,
                     file.begin() + static_cast<long>(offset + 3 + length));
}

TEST(TextAp, BasicFourOffsetTablePointsAtEachField) {
  const BasicFour b{"試験\u3000太郎", "東京都テスト市", "19800217", "1"};
  const Bytes file = make_basic_four_tlv(b);
  ASSERT_EQ(Bytes(file.begin(), file.begin() + 2), from_hex("FF20"));
  EXPECT_EQ(tlv_total_length(file), file.size());
  const std::size_t header = file[2] & 0x80 ? 3 + (file[2] & 0x7F) : 3;
  ASSERT_EQ(Bytes(file.begin() + static_cast<long>(header), file.begin() + static_cast<long>(header) + 3),
            from_hex("DF2108"));
  auto offset = [&](int i) { return std::size_t{file[header + 3 + 2 * i]} << 8 | file[header + 4 + 2 * i]; };
  EXPECT_EQ(offset(0), header + 11);  // first field follows the table (000E for short lengths)
  EXPECT_EQ(field_at(file, offset(0), {0xDF, 0x22}), b.name);
  EXPECT_EQ(field_at(file, offset(1), {0xDF, 0x23}), b.address);
  EXPECT_EQ(field_at(file, offset(2), {0xDF, 0x24}), b.birth);
  EXPECT_EQ(field_at(file, offset(3), {0xDF, 0x25}), b.sex);
}

TEST(TextAp, BasicFourOffsetsAccountForLongOuterLength) {
  const BasicFour b{"試験\u3000太郎", std::string(120, 'A'), "19800217", "2"};  // > 127 bytes inside
  const Bytes file = make_basic_four_tlv(b);
  ASSERT_EQ(file[2], 0x81);
  const std::size_t name_offset = std::size_t{file[7]} << 8 | file[8];
  EXPECT_EQ(name_offset, 4u + 11u);
  EXPECT_EQ(field_at(file, name_offset, {0xDF, 0x22}), b.name);
}

TEST(JpkiAp, TokenInfoIs160BytesWithSpacePaddedLabel) {
  const Bytes info = make_token_info("JPKIAPICCTOKEN2");
  ASSERT_EQ(info.size(), 160u);
  EXPECT_EQ(std::string(info.begin(), info.begin() + 32), "JPKIAPICCTOKEN2                 ");
}

TEST(FreeArea, IdIsWrappedInOurTemplate) {
  EXPECT_EQ(make_free_area_tlv("LIB-1"), concat(from_hex("70078005"), to_bytes("LIB-1")));
}

}  // namespace
}  // namespace kazasu::cardsim
