// SIP2 wire format: checksums, request layouts, response parsing and the
// charset rule (decode before splitting on '|').
#include "sip2_message.hpp"

#include <gtest/gtest.h>

#include "charset.hpp"

namespace kazasu::library {
namespace {

const sip2::Decode kIdentity = [](std::string_view b) { return std::string(b); };

unsigned byte_sum(std::string_view s) {
  unsigned sum = 0;
  for (const char c : s) sum += static_cast<unsigned char>(c);
  return sum;
}

TEST(Sip2Checksum, MatchesTheSpecExampleOfARequestResend) {
  // The SIP2 spec's example: "97AZFEF5".
  EXPECT_EQ(sip2::checksum("97AZ"), "FEF5");
}

TEST(Sip2Checksum, BytesPlusChecksumSumToZero) {
  const std::string text = "9300CNlogin|COpassword|CPlocation|AY0AZ";
  const unsigned value = std::stoul(sip2::checksum(text), nullptr, 16);
  EXPECT_EQ((byte_sum(text) + value) & 0xFFFFU, 0U);
}

TEST(Sip2Seal, AppendsSequenceChecksumAndCarriageReturn) {
  const std::string m = sip2::seal("9300CNu|COp|CP|", 3);
  EXPECT_EQ(m.substr(0, 20), "9300CNu|COp|CP|AY3AZ");
  EXPECT_EQ(m.back(), '\r');
  EXPECT_EQ(m.size(), 20U + 4U + 1U);
  EXPECT_EQ(sip2::seal("9300CNu|COp|CP|", std::nullopt), "9300CNu|COp|CP|\r");
}

TEST(Sip2Requests, PatronInformationHasTheFixedFieldsInOrder) {
  const std::string date = sip2::transaction_date(1767225600000, 9 * 3600);  // 2026-01-01T00:00Z
  EXPECT_EQ(date, "20260101    090000");
  const std::string m = sip2::patron_information_body({"CITY-LIB", "P0001", date});
  // code, language, date (18), summary (10 blanks), then AO, AA, AC.
  EXPECT_EQ(m, "63000" + date + "          AOCITY-LIB|AAP0001|AC|");
}

TEST(Sip2Requests, PatronStatusCarriesTheRequiredEmptyPasswords) {
  EXPECT_EQ(sip2::patron_status_body({"LIB", "P1", "20260101    090000"}), "2300020260101    090000AOLIB|AAP1|AC|AD|");
}

TEST(Sip2Requests, DelimitersInValuesCannotShiftFields) {
  EXPECT_EQ(sip2::login_body({"a|b", "p\rw", "x"}), "9300CNa b|COp w|CPx|");
}

TEST(Sip2Parse, ReadsA64WithCountsLimitsAndScreenMessages) {
  const std::string body =
      "64Y             00020260101    090000000100020003000400000000AOLIB|AAP1|AE名前|BZ0005|CA0003|CB0010|"
      "BLY|CQN|BHJPY|BV300|AFone|AFtwo|";
  const std::string wire = sip2::seal(body, 4);
  sip2::Response r;
  ASSERT_EQ(sip2::parse(wire, kIdentity, r), sip2::ParseError::none);
  EXPECT_EQ(r.code, "64");
  EXPECT_EQ(r.sequence, 4);
  const auto p = sip2::patron_info_from(r);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->valid_patron);
  EXPECT_EQ(p->valid_password, false);
  EXPECT_EQ(p->status_mask[0], 'Y');
  EXPECT_EQ(p->holds, 1);
  EXPECT_EQ(p->overdue_items, 2);
  EXPECT_EQ(p->charged_items, 3);
  EXPECT_EQ(p->fine_items, 4);
  EXPECT_EQ(p->hold_items_limit, 5);
  EXPECT_EQ(p->overdue_items_limit, 3);
  EXPECT_EQ(p->charged_items_limit, 10);
  EXPECT_EQ(p->currency, "JPY");
  EXPECT_EQ(p->fee_amount, "300");
  EXPECT_EQ(p->screen_messages, (std::vector<std::string>{"one", "two"}));
}

TEST(Sip2Parse, ReadsA24WithoutCounts) {
  sip2::Response r;
  ASSERT_EQ(sip2::parse("24              00020260101    090000AOLIB|AAP1|BLN|\r", kIdentity, r),
            sip2::ParseError::none);
  const auto p = sip2::patron_info_from(r);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->valid_patron);
  EXPECT_FALSE(p->charged_items);
  EXPECT_FALSE(r.sequence);
}

TEST(Sip2Parse, RejectsAWrongChecksum) {
  std::string wire = sip2::seal("941", 1);
  wire[wire.size() - 2] = wire[wire.size() - 2] == '0' ? '1' : '0';
  sip2::Response r;
  EXPECT_EQ(sip2::parse(wire, kIdentity, r), sip2::ParseError::bad_checksum);
}

TEST(Sip2Parse, AcceptsCrLfAndALeadingLfFromTheLastMessage) {
  sip2::Response r;
  EXPECT_EQ(sip2::parse("\n941AY0AZFDFD\r\n", kIdentity, r), sip2::ParseError::none);
  EXPECT_EQ(r.code, "94");
  EXPECT_EQ(r.fixed, "1");
}

TEST(Sip2Parse, ShortFixedPartIsMalformed) {
  sip2::Response r;
  EXPECT_EQ(sip2::parse("64  000\r", kIdentity, r), sip2::ParseError::too_short);
  EXPECT_EQ(sip2::parse("\r", kIdentity, r), sip2::ParseError::empty);
}

TEST(Sip2Charset, DecodesShiftJisBeforeSplittingOnTheDelimiter) {
  // In CP932, "ポ" is 83 7C: its trail byte is '|'.
  const Charset cp932("CP932");
  const std::string body = cp932.to_wire("24              00020260101    090000AOLIB|AAP1|BLY|AFポイント|");
  ASSERT_NE(body.find("\x83|"), std::string::npos);
  sip2::Response r;
  ASSERT_EQ(sip2::parse(
                sip2::seal(body, 0), [&](std::string_view b) { return cp932.from_wire(b); }, r),
            sip2::ParseError::none);
  EXPECT_EQ(r.field("AF"), "ポイント");
}

TEST(Sip2Charset, UnmappableAndInvalidBytesAreReplacedNotFatal) {
  const Charset latin1("ISO-8859-1");
  EXPECT_EQ(latin1.to_wire("a図b"), "a?b");
  const Charset utf8("UTF-8");
  EXPECT_EQ(utf8.from_wire("a\xFF"
                           "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_THROW(Charset("NO-SUCH-CHARSET"), std::invalid_argument);
}

}  // namespace
}  // namespace kazasu::library
