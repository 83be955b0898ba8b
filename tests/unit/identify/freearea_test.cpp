#include "identify/freearea_identifier.hpp"

#include <gtest/gtest.h>

#include "fake_channels.hpp"
#include "test_cards.hpp"

namespace kazasu {
namespace {

using test::hex;
using test::ScriptedChannel;

FreeAreaOptions sim_layout() {
  // kazasu-cardsim's default free area (docs/cardsim.md): AID F04B415A41535501, EF 0001, 70 { 80 ID }.
  return FreeAreaOptions{hex("F04B415A41535501"), 0x0001, {0x80}};
}

TEST(FreeArea, ReadsTheMunicipalityId) {
  const auto dir = cardsim::testing::make_test_card("valid", {"--free-area-id", "LIB-000123"});
  cardsim::Card card = cardsim::testing::load_card(dir);
  test::SimCardChannel ch(card);
  auto r = FreeAreaIdentifier(sim_layout()).identify(ch);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, "freearea");
  EXPECT_EQ(r->issuer, "F04B415A41535501");
  EXPECT_EQ(r->subject, apdu::to_hex(apdu::Bytes{'L', 'I', 'B', '-', '0', '0', '0', '1', '2', '3'}));
  EXPECT_EQ(ch.commands.size(), 3u);
}

TEST(FreeArea, SaysNotThisCardWithoutTheApplication) {
  ScriptedChannel ch;
  ch.expect("00A4040C08F04B415A41535501", "6A82");
  auto r = FreeAreaIdentifier(sim_layout()).identify(ch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, kNotThisCard);
}

TEST(FreeArea, FindsTheTagAtTopLevelOrOneLevelDown) {
  apdu::Bytes v;
  EXPECT_TRUE(find_free_area_id(hex("8003414243FFFF"), {0x80}, v));
  EXPECT_EQ(apdu::to_hex(v), "414243");
  EXPECT_TRUE(find_free_area_id(hex("7007 0101AA 80024142 0000"), {0x80}, v));
  EXPECT_EQ(apdu::to_hex(v), "4142");
  EXPECT_TRUE(find_free_area_id(hex("DF2102 3132"), {0xDF, 0x21}, v));
  EXPECT_EQ(apdu::to_hex(v), "3132");
  EXPECT_FALSE(find_free_area_id(hex("7005 8105414243"), {0x80}, v)) << "length runs past its parent";
  EXPECT_FALSE(find_free_area_id(hex("FFFFFFFF"), {0x80}, v));
  EXPECT_FALSE(find_free_area_id(hex("7080 800141"), {0x80}, v)) << "indefinite length";
}

TEST(FreeArea, ReportsACardWithoutTheIdAsMissing) {
  ScriptedChannel ch;
  ch.expect("00A4040C08F04B415A41535501", "9000");
  ch.expect("00A4020C020001", "9000");
  ch.expect("00B0000000", "7003 8101 41 FFFF 9000");
  auto r = FreeAreaIdentifier(sim_layout()).identify(ch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "freearea_missing");
}

}  // namespace
}  // namespace kazasu
