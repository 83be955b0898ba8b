// The roll's CSV rules on their own: quoting, UTF-8, line endings, the age rule.
#include <gtest/gtest.h>

#include <kazasu/station_time.hpp>

#include "../roll_csv.hpp"

namespace kazasu::election {
namespace {

RollRules rules() {
  RollRules r;
  r.stations = {"honcho"};
  r.election_day = parse_day("2027-04-11");
  return r;
}

TEST(RollCsv, SplitsQuotedFieldsWithDoubledQuotes) {
  std::string why;
  const auto f = split_csv_line(R"(a,"b,c","say ""hi""",)", why);
  ASSERT_TRUE(f.has_value()) << why;
  ASSERT_EQ(f->size(), 4u);
  EXPECT_EQ((*f)[1], "b,c");
  EXPECT_EQ((*f)[2], "say \"hi\"");
  EXPECT_EQ((*f)[3], "");
  EXPECT_FALSE(split_csv_line(R"(a,"open)", why).has_value());
  EXPECT_NE(why.find("unterminated"), std::string::npos);
  EXPECT_FALSE(split_csv_line(R"(a,"b"c)", why).has_value());
  EXPECT_FALSE(split_csv_line(R"(a,b"c)", why).has_value());
}

TEST(RollCsv, AcceptsABomAndCrLfAndRefusesBadUtf8) {
  const std::string good =
      "\xEF\xBB\xBF"
      "1,山田　一,ヤマダ　ハジメ,1980-01-01,1,第1投票区,honcho,\r\n";
  const auto p = parse_roll(good, rules());
  ASSERT_EQ(p.rejected_total, 0u) << p.rejected[0].reason;
  ASSERT_EQ(p.voters.size(), 1u);
  EXPECT_EQ(p.voters[0].note, "");
  const auto bad = parse_roll("1,\xFF\xFE,ヤマダ,1980-01-01,1,第1投票区,honcho,\n", rules());
  ASSERT_EQ(bad.rejected_total, 1u);
  EXPECT_EQ(bad.rejected[0].line, 1u);
  EXPECT_NE(bad.rejected[0].reason.find("name_kanji"), std::string::npos);
  EXPECT_FALSE(clean_utf8("a\tb"));
  EXPECT_FALSE(clean_utf8("\xC0\xAF"));  // overlong '/'
  EXPECT_TRUE(clean_utf8("投票区"));
}

TEST(RollCsv, EighteenIsReachedTheDayBeforeTheBirthday) {
  auto line = [](const char* born) {
    return std::string("1,山田　一,ヤマダ　ハジメ,") + born + ",1,第1投票区,honcho,\n";
  };
  EXPECT_EQ(parse_roll(line("2009-04-12"), rules()).rejected_total, 0u);
  EXPECT_EQ(parse_roll(line("2009-04-13"), rules()).rejected_total, 1u);
  RollRules leap = rules();
  leap.election_day = parse_day("2027-02-28");
  EXPECT_EQ(parse_roll(line("2009-02-29"), leap).rejected_total, 1u);  // no such day
  leap.election_day = parse_day("2026-02-28");
  EXPECT_EQ(parse_roll(line("2008-02-29"), leap).rejected_total, 0u);  // 18 on Feb 28 of a common year
}

TEST(RollCsv, StopsAtTheLineLimitAndCapsTheReport) {
  RollRules r = rules();
  r.max_lines = 2;
  const std::string line = "1,山田　一,ヤマダ　ハジメ,1980-01-01,1,第1投票区,honcho,\n";
  const auto p = parse_roll(line + "2" + line.substr(1) + "3" + line.substr(1), r);
  ASSERT_EQ(p.rejected_total, 1u);
  EXPECT_EQ(p.rejected[0].line, 3u);
  std::string many;
  for (int i = 0; i < 500; ++i) many += "x\n";
  const auto q = parse_roll(many, rules());
  EXPECT_EQ(q.rejected_total, 500u);
  EXPECT_EQ(q.rejected.size(), kMaxReported);
}

}  // namespace
}  // namespace kazasu::election
