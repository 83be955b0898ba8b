// Reception as staff's decision (Art. 44) on the SDK's testing kit: a tap's
// match and staff's confirmation, one-step mode, a voter without a card,
// two stations confirming one voter at once, absentee ballots, paper
// receptions entered after an outage (with their conflicts), the roll's
// eligibility notes, the declaration's fields, and basic-four matching.
#include "election_kit.hpp"

namespace {

using namespace kazasu::election_test;

json confirm(FakeHost& h, const std::string& voter, bool without_card = false) {
  json req{{"election", "city-2027"}, {"voter_number", voter}};
  if (without_card) req["without_card"] = true;
  return h.command("confirm", req);
}

TEST(ElectionConfirm, ATapShowsTheMatchAndOnlyStaffsConfirmationReceives) {
  FakeHost h = station("honcho");
  ready(h);
  link(h, "1001", "alice");
  h.set_now("2027-04-05 09:00");
  ASSERT_EQ(h.tap(Card::jpki("alice"), "reception-1"), KAZASU_OK);
  const json m = h.last("match");
  EXPECT_EQ(m["voter_number"], "1001");
  EXPECT_EQ(m["match"], "token");
  EXPECT_EQ(m["kind"], "early");
  EXPECT_EQ(m["checks"], json::array({"face_photo"}));
  EXPECT_EQ(m["confirm_before"], "2027-04-05T09:05:00+09:00");
  EXPECT_TRUE(h.all("reception").empty());
  EXPECT_TRUE(h.shared()->records.empty());  // nothing claimed by a tap alone

  h.set_now("2027-04-05 09:01");
  const json c = confirm(h, "1001");
  ASSERT_EQ(c["ok"], true) << c.dump();
  EXPECT_EQ(c["result"]["received"], true);
  EXPECT_EQ(c["result"]["match"], "token");
  EXPECT_EQ(c["result"]["received_at"], "2027-04-05T09:01:00+09:00");
  EXPECT_EQ(h.last("reception")["voter_number"], "1001");
  EXPECT_EQ(h.shared()->records.size(), 1u);

  // No way past a reception: the next tap is the hard stop, and a confirm too.
  ASSERT_EQ(h.tap(Card::jpki("alice"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(h.last("already_received")["received_at_station"], "honcho");
  EXPECT_EQ(confirm(h, "1001")["code"], "no_match");
  const json again = confirm(h, "1001", true);
  EXPECT_EQ(again["result"]["received"], false);
  EXPECT_EQ(again["result"]["reason"], "already_received");
  EXPECT_EQ(scalar(h, "SELECT count(*) FROM receptions"), 1);
}

TEST(ElectionConfirm, AMatchLapsesAndAConfirmNeedsATapOrTheRoll) {
  FakeHost h = station("honcho");
  ready(h);
  link(h, "1002", "hanako");
  EXPECT_EQ(confirm(h, "1002")["code"], "no_match");
  ASSERT_EQ(h.tap(Card::jpki("hanako"), "reception-1"), KAZASU_OK);
  h.advance(301'000);  // match_timeout_s = 300
  EXPECT_EQ(confirm(h, "1002")["code"], "no_match");
  EXPECT_EQ(confirm(h, "9999")["code"], "unknown_voter");
  EXPECT_EQ(
      h.command("confirm", {{"election", "city-2027"}, {"voter_number", "1002"}, {"without_card", "yes"}})["code"],
      "invalid_field");

  // A voter without a card is received by staff from the roll.
  const json roll = confirm(h, "1003", true);
  ASSERT_EQ(roll["ok"], true) << roll.dump();
  EXPECT_EQ(roll["result"]["received"], true);
  EXPECT_EQ(roll["result"]["match"], "roll");
  EXPECT_EQ(h.last("reception")["match"], "roll");
}

TEST(ElectionConfirm, TwoStationsConfirmingOneVoterReceiveOnce) {
  auto shared = std::make_shared<SharedStore>();
  FakeHost honcho = station("honcho", shared);
  FakeHost sakae = station("sakae", shared);
  ready(honcho);
  ready(sakae);
  link(honcho, "1001", "alice");
  link(sakae, "1001", "alice");
  // Both taps find the voter not yet received: both show a match.
  ASSERT_EQ(honcho.tap(Card::jpki("alice"), "reception-1"), KAZASU_OK);
  ASSERT_EQ(sakae.tap(Card::jpki("alice"), "reception-1"), KAZASU_OK);
  ASSERT_EQ(honcho.all("match").size(), 1u);
  ASSERT_EQ(sakae.all("match").size(), 1u);
  sakae.advance(2'000);
  EXPECT_EQ(confirm(sakae, "1001")["result"]["received"], true);
  const json late = confirm(honcho, "1001");
  ASSERT_EQ(late["ok"], true) << late.dump();
  EXPECT_EQ(late["result"]["received"], false);
  EXPECT_EQ(late["result"]["received_at_station"], "sakae");
  EXPECT_EQ(honcho.last("already_received")["received_at_station"], "sakae");
  EXPECT_EQ(scalar(honcho, "SELECT count(*) FROM receptions"), 0);
}

TEST(ElectionConfirm, OneStepModeReceivesOnTheTap) {
  FakeHost h = quick("honcho");
  ready(h);
  link(h, "1001", "alice");
  ASSERT_EQ(h.tap(Card::jpki("alice"), "reception-1"), KAZASU_OK) << h.last_outcome().message;
  EXPECT_TRUE(h.all("match").empty());
  EXPECT_EQ(h.last("reception")["received"], true);
}

TEST(ElectionAbsentee, AnAbsenteeBallotStopsTheVoterAtEveryStation) {
  auto shared = std::make_shared<SharedStore>();
  FakeHost office = station("honcho", shared);
  FakeHost sakae = station("sakae", shared);
  ready(office);
  ready(sakae);
  link(sakae, "1003", "ichiro");
  const json a = office.command("absentee", {{"election", "city-2027"}, {"voter_number", "1003"}});
  ASSERT_EQ(a["ok"], true) << a.dump();
  EXPECT_EQ(a["result"]["kind"], "absentee");
  EXPECT_TRUE(office.all("declaration").empty());
  ASSERT_EQ(sakae.tap(Card::jpki("ichiro"), "reception-1"), KAZASU_OK);
  const json stop = sakae.last("already_received");
  EXPECT_EQ(stop["received_kind"], "absentee");
  EXPECT_EQ(stop["received_at_station"], "honcho");
  EXPECT_TRUE(sakae.all("match").empty());
}

TEST(ElectionEligibility, TheRollsNotesDecideAndEachRefusalHasItsReason) {
  FakeHost h = station("honcho");
  ASSERT_EQ(h.command("open", kOpen)["ok"], true);
  ASSERT_EQ(
      import(
          h,
          kRoll +
              "1006,転入　六郎,テンニュウ　ロクロウ,1980-01-01,1,第1投票区,honcho,moved_in_after_cutoff\n"
              "1007,転出　七子,テンシュツ　ナナコ,1981-01-01,2,第1投票区,honcho,転出4か月以内\n")["result"]["imported"],
      true);
  link(h, "1006", "rokuro");
  link(h, "1007", "nanako");
  ASSERT_EQ(h.tap(Card::jpki("rokuro"), "reception-1"), KAZASU_OK);
  const json r = h.last("reception_refused");
  EXPECT_EQ(r["reason"], "not_eligible");
  EXPECT_EQ(r["eligibility_note"], "moved_in_after_cutoff");
  EXPECT_TRUE(h.all("match").empty());
  // Other notes are shown to staff, who check them.
  ASSERT_EQ(h.tap(Card::jpki("nanako"), "reception-1"), KAZASU_OK);
  const json m = h.last("match");
  EXPECT_EQ(m["eligibility_note"], "転出4か月以内");
  EXPECT_EQ(m["checks"], json::array({"face_photo", "eligibility_note"}));
  EXPECT_EQ(confirm(h, "1006", true)["result"]["reason"], "not_eligible");
}

TEST(ElectionPaper, PaperReceptionsAreEnteredWhenTheEngineReturnsAndConflictsAreReported) {
  auto shared = std::make_shared<SharedStore>();
  FakeHost honcho = station("honcho", shared);
  FakeHost sakae = station("sakae", shared);
  ready(honcho);
  ready(sakae);
  link(honcho, "1001", "alice");
  honcho.set_now("2027-04-06 10:00");
  shared->available = false;
  ASSERT_EQ(honcho.tap(Card::jpki("alice"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(honcho.last("reception_unavailable")["voter_number"], "1001");
  const json paper{{"election", "city-2027"},
                   {"receptions",
                    {{{"voter_number", "1001"}, {"at", "2027-04-06T10:02"}},
                     {{"voter_number", "1002"}, {"at", "2027-04-06T10:10"}},
                     {{"voter_number", "9999"}, {"at", "2027-04-06T10:11"}},
                     {{"voter_number", "1003"}, {"at", "2027-04-06T25:00"}}}}};
  EXPECT_EQ(honcho.command("enter_paper", paper)["code"], "shared_unavailable");
  EXPECT_EQ(scalar(honcho, "SELECT count(*) FROM receptions"), 0);

  // Meanwhile sakae, on another link, received 1002 by card.
  shared->available = true;
  sakae.set_now("2027-04-06 10:05");
  link(sakae, "1002", "hanako");
  ASSERT_EQ(sakae.tap(Card::jpki("hanako"), "reception-1"), KAZASU_OK);
  ASSERT_EQ(confirm(sakae, "1002")["result"]["received"], true);

  honcho.set_now("2027-04-06 11:00");
  const json r = honcho.command("enter_paper", paper);
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["entered"], 1);
  EXPECT_EQ(r["result"]["conflicts"], 1);
  EXPECT_EQ(r["result"]["rejected"], 2);
  EXPECT_EQ(r["result"]["results"][0]["result"], "entered");
  EXPECT_EQ(r["result"]["results"][1]["result"], "conflict");
  EXPECT_EQ(r["result"]["results"][1]["received_at_station"], "sakae");
  EXPECT_EQ(r["result"]["results"][2]["result"], "not_on_roll");
  EXPECT_EQ(r["result"]["results"][3]["result"], "invalid_time");
  const json c = honcho.last("paper_conflict");
  EXPECT_EQ(c["voter_number"], "1002");
  EXPECT_EQ(c["paper_at"], "2027-04-06T10:10:00+09:00");
  EXPECT_EQ(c["received_at"], "2027-04-06T10:05:00+09:00");
  EXPECT_EQ(honcho.last("reception")["match"], "paper");
  EXPECT_EQ(honcho.last("reception")["received_at"], "2027-04-06T10:02:00+09:00");
  // Sent again: nothing doubles.
  const json again = honcho.command("enter_paper", paper);
  EXPECT_EQ(again["result"]["entered"], 0);
  EXPECT_EQ(again["result"]["unchanged"], 1);
  EXPECT_EQ(again["result"]["conflicts"], 1);
  EXPECT_EQ(scalar(honcho, "SELECT count(*) FROM receptions"), 1);
  EXPECT_EQ(scalar(sakae, "SELECT count(*) FROM receptions"), 1);
}

TEST(ElectionDeclaration, TheDeclarationCarriesTheFormsFieldsAndPersonalOnesOnlyWhenAllowed) {
  const std::string roll =
      "1001,三条　太郎,サンジョウ　タロウ,1980-05-01,1,第1投票区,honcho,,新潟県三条市旭町二丁目3番1号\n";
  auto declare = [&](const json& extra, bool tls) {
    FakeHost h = station("honcho", nullptr, extra, tls);
    EXPECT_EQ(h.command("open", kOpen)["ok"], true);
    EXPECT_EQ(import(h, roll)["result"]["imported"], true);
    link(h, "1001", "taro");
    EXPECT_EQ(h.tap(Card::jpki("taro"), "reception-1"), KAZASU_OK);
    EXPECT_EQ(confirm(h, "1001")["result"]["received"], true);
    return h.last("declaration");
  };
  const json plain = declare(json::object(), false);
  EXPECT_EQ(plain["election_name"], "三条市議会議員一般選挙");
  EXPECT_EQ(plain["date"], "2027-04-05");
  EXPECT_EQ(plain["polling_station"], "honcho");
  EXPECT_EQ(plain["voter_number"], "1001");
  EXPECT_EQ(plain["reasons"].size(), 6u);
  EXPECT_EQ(plain["personal_fields"], "none");
  EXPECT_FALSE(plain.contains("name_kanji"));

  const json refused = declare(json{{"declaration_fields", "name_address"}}, false);
  EXPECT_EQ(refused["personal_fields"], "none");  // plain MQTT, not allowed
  const json tls = declare(json{{"declaration_fields", "name_address"}}, true);
  EXPECT_EQ(tls["personal_fields"], "name_address");
  EXPECT_EQ(tls["name_kanji"], "三条　太郎");
  EXPECT_EQ(tls["address"], "新潟県三条市旭町二丁目3番1号");
  const json allowed = declare(json{{"declaration_fields", "name"}, {"declaration_over_plain_mqtt", true}}, false);
  EXPECT_EQ(allowed["name_kana"], "サンジョウ　タロウ");
  EXPECT_FALSE(allowed.contains("address"));
}

TEST(ElectionBasicFour, TheCardFaceDataFindTheVoterAndAreNeverKept) {
  FakeHost h = station("honcho", nullptr, json{{"find_by", {"token", "basic_four"}}});
  ASSERT_EQ(h.command("open", kOpen)["ok"], true);
  ASSERT_EQ(
      import(
          h,
          "1001,三条 太郎,サンジョウ タロウ,1980-05-01,1,第1投票区,honcho,,新潟県三条市旭町二丁目３－１\n"
          "1002,三条　花子,サンジョウ　ハナコ,1985-07-12,2,第1投票区,honcho,,新潟県三条市旭町二丁目3-1\n")["result"]
                                                                                                          ["imported"],
      true);
  kazasu::testing::BasicFour taro{"三条　太郎", "新潟県三条市旭町二丁目3-1", "19800501", "1"};
  ASSERT_EQ(h.tap(Card::jpki("taro").with_basic_info(taro), "reception-1"), KAZASU_OK);
  const json m = h.last("match");
  EXPECT_EQ(m["voter_number"], "1001");
  EXPECT_EQ(m["match"], "basic_four");
  EXPECT_EQ(confirm(h, "1001")["result"]["match"], "basic_four");

  // An address that differs, no PIN, a wrong PIN: no match, and a hint.
  taro.address = "新潟県三条市旭町二丁目3-2";
  ASSERT_EQ(h.tap(Card::jpki("other").with_basic_info(taro), "reception-1"), KAZASU_OK);
  EXPECT_EQ(h.last("unknown_card")["reason"], "not_found");
  ASSERT_EQ(h.tap(Card::jpki("hanako").without_basic_info("no_pin"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(h.last("unknown_card")["reason"], "basic_four_no_pin");
  ASSERT_EQ(h.tap(Card::failed("pin_wrong", "", "jpki").without_basic_info("pin_locked"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(h.last("unknown_card")["reason"], "basic_four_pin_locked");

  // Nothing read from the card is in the database (the roll's own spelling is).
  std::string all;
  kazasu::db::Statement st(h.db(), "SELECT group_concat(quote(tap_id) || method) FROM receptions");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.text(0).find("3-2"), std::string::npos);
  for (const auto& p : h.published()) EXPECT_EQ(p.fields.dump().find("3-2"), std::string::npos) << p.event;
}

TEST(ElectionTogether, TwoElectionsHeldTogetherEachGetTheirOwnReception) {
  FakeHost h = station("honcho");
  ready(h);
  json review = kOpen;
  review["election"] = "review-2027";
  review["name"] = "最高裁判所裁判官国民審査";
  review["early_voting_start"] = "2027-04-05";
  ASSERT_EQ(h.command("open", review)["ok"], true);
  ASSERT_EQ(h.command("import_roll", {{"election", "review-2027"}, {"csv", kRoll}})["result"]["imported"], true);
  link(h, "1001", "alice");
  ASSERT_EQ(h.command("link", {{"election", "review-2027"}, {"voter_number", "1001"}})["ok"], true);
  ASSERT_EQ(h.tap(Card::jpki("alice", "possession"), "counter-1"), KAZASU_OK);
  ASSERT_EQ(h.tap(Card::jpki("alice"), "reception-1"), KAZASU_OK);
  const auto matches = h.all("match");
  ASSERT_EQ(matches.size(), 2u);
  EXPECT_EQ(matches[0]["election"], "city-2027");
  EXPECT_EQ(matches[1]["election"], "review-2027");
  ASSERT_EQ(h.command("confirm", {{"election", "review-2027"}, {"voter_number", "1001"}})["result"]["received"], true);
  // Received in one, still to be received in the other.
  ASSERT_EQ(h.tap(Card::jpki("alice"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(h.last("already_received")["election"], "review-2027");
  EXPECT_EQ(h.last("match")["election"], "city-2027");
}

}  // namespace

namespace {

using namespace kazasu::election_test;

TEST(ElectionLinks, ACardLinkedAtCityHallIsKnownAtEveryStationAndAReplacedCardNowhere) {
  auto shared = std::make_shared<SharedStore>();
  FakeHost office = station("honcho", shared);
  FakeHost sakae = station("sakae", shared);
  ready(office);
  ready(sakae);
  link(office, "1001", "old-card");
  ASSERT_EQ(sakae.tap(Card::jpki("old-card"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(sakae.last("match")["voter_number"], "1001");  // never linked at sakae itself

  // The voter's renewed card replaces the old one city-wide.
  ASSERT_EQ(office.command("link", {{"election", "city-2027"}, {"voter_number", "1001"}})["ok"], true);
  ASSERT_EQ(office.tap(Card::jpki("new-card", "possession"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(office.last("linked")["replaced"], true);
  sakae.clear();
  ASSERT_EQ(sakae.tap(Card::jpki("old-card"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(sakae.last("unknown_card")["reason"], "not_linked");
  ASSERT_EQ(sakae.tap(Card::jpki("new-card"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(sakae.last("match")["voter_number"], "1001");

  // A card linked to one voter cannot be linked to another at another station.
  ASSERT_EQ(sakae.command("link", {{"election", "city-2027"}, {"voter_number", "1003"}})["ok"], true);
  ASSERT_EQ(sakae.tap(Card::jpki("new-card", "possession"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(sakae.last("link_refused")["reason"], "already_linked");
}

}  // namespace
