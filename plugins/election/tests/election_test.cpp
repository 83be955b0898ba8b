// The election plugin through its C ABI on the SDK's testing kit: opening an
// election, importing the roll (rejected lines, all or nothing, versions),
// linking a card, reception once across two stations that share one store,
// the hard stop for a second reception, the paper procedure when the shared
// engine is away, and a failed tap whose claim the host releases.
#include <gtest/gtest.h>

#include "election_kit.hpp"

namespace {

using namespace kazasu::election_test;

TEST(ElectionOpen, OpensAnElectionWithItsPeriodAndStationsOnce) {
  FakeHost h = station("honcho");
  const json r = h.command("open", kOpen);
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["election"], "city-2027");
  EXPECT_EQ(r["result"]["stations"], 3);
  EXPECT_EQ(r["result"]["this_station"], true);
  EXPECT_EQ(r["result"]["unchanged"], false);
  EXPECT_EQ(r["result"]["roll_version"], 0);
  EXPECT_EQ(scalar(h, "PRAGMA user_version"), 3);

  EXPECT_EQ(h.command("open", kOpen)["result"]["unchanged"], true);  // the same again is harmless
  json other = kOpen;
  other["election_day"] = "2027-04-18";
  EXPECT_EQ(h.command("open", other)["code"], "election_exists");
  json backwards = kOpen;
  backwards["early_voting_end"] = "2027-04-12";
  backwards["election"] = "other";
  EXPECT_EQ(h.command("open", backwards)["code"], "invalid_period");
  json typo = kOpen;
  typo["stattions"] = json::array();
  EXPECT_EQ(h.command("open", typo)["code"], "unknown_field");
  json twice = kOpen;
  twice["election"] = "other";
  twice["stations"] = {{{"id", "honcho"}}, {{"id", "honcho"}}};
  EXPECT_EQ(h.command("open", twice)["code"], "invalid_stations");
}

TEST(ElectionRoll, RejectedLinesAreReportedWithTheirNumbersAndNothingIsImported) {
  FakeHost h = station("honcho");
  ASSERT_EQ(h.command("open", kOpen)["ok"], true);
  const std::string csv =
      "voter_number,name_kanji,name_kana,birth_date,sex,district,station,note\n"  // 1
      "1001,三条　太郎,サンジョウ　タロウ,1980-05-01,1,第1投票区,honcho,\n"       // 2 good
      "1002,三条　花子,サンジョウ　ハナコ,1985-02-30,2,第1投票区,honcho,\n"       // 3 no such day
      "1003,栄　一郎,サカエ　イチロウ,1970-01-20,X,第2投票区,sakae,\n"            // 4 sex
      "\n"                                                                        // 5 blank: skipped
      "1001,三条　次郎,サンジョウ　ジロウ,1981-05-01,1,第1投票区,honcho,\n"       // 6 repeats line 2
      "1005,短い,行\n"                                                            // 7 fields
      "1006,北　三郎,キタ　サブロウ,1960-01-01,1,第9投票区,elsewhere,\n"          // 8 station
      "1007,若葉　一,ワカバ　ハジメ,2009-04-13,1,第1投票区,honcho,\n"             // 9 17 on election day
      "1008,\"引用, 符\",インヨウ,1975-06-06,2,第1投票区,honcho,\"要確認\"\n";    // 10 good, quoted
  const json r = import(h, csv);
  ASSERT_EQ(r["ok"], true) << r.dump();
  const json& res = r["result"];
  EXPECT_EQ(res["imported"], false);
  EXPECT_EQ(res["version"], 0);
  EXPECT_EQ(res["rejected_total"], 6);
  ASSERT_EQ(res["rejected"].size(), 6u);
  const int lines[] = {3, 4, 6, 7, 8, 9};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(res["rejected"][i]["line"], lines[i]) << res.dump();
  EXPECT_NE(res["rejected"][0]["reason"].get<std::string>().find("birth_date"), std::string::npos);
  EXPECT_NE(res["rejected"][2]["reason"].get<std::string>().find("repeats line 2"), std::string::npos);
  EXPECT_NE(res["rejected"][3]["reason"].get<std::string>().find("expected 8 fields (9 with address), found 3"),
            std::string::npos);
  EXPECT_NE(res["rejected"][4]["reason"].get<std::string>().find("does not take part"), std::string::npos);
  EXPECT_NE(res["rejected"][5]["reason"].get<std::string>().find("not 18"), std::string::npos);
  // Reasons never carry a name from the roll.
  EXPECT_EQ(res.dump().find("三条"), std::string::npos);
  // All or nothing: not even the good lines are there.
  EXPECT_EQ(scalar(h, "SELECT count(*) FROM voters"), 0);
  EXPECT_EQ(scalar(h, "SELECT count(*) FROM roll_versions"), 0);
  EXPECT_EQ(h.command("link", {{"election", "city-2027"}, {"voter_number", "1001"}})["code"], "unknown_voter");
  // 18 the day after election day counts as 18 on it (the day before the birthday).
  const json ok = import(h, "1009,若葉　二,ワカバ　フタバ,2009-04-12,2,第1投票区,honcho,\n");
  EXPECT_EQ(ok["result"]["imported"], true) << ok.dump();
}

TEST(ElectionRoll, AReimportThatChangesEntriesIsANewVersionAndTheOldOneIsKept) {
  FakeHost h = station("honcho");
  ready(h);
  EXPECT_EQ(scalar(h, "SELECT count(*) FROM voters WHERE version = 1"), 4);
  const json same = import(h, kRoll);
  EXPECT_EQ(same["result"]["unchanged"], true);
  EXPECT_EQ(same["result"]["version"], 1);

  std::string changed = kRoll;
  changed.replace(changed.find("第2投票区"), std::string("第2投票区").size(), "第4投票区");
  changed += "1005,新井　五郎,アライ　ゴロウ,1999-09-09,1,第1投票区,honcho,\n";
  const json r = import(h, changed);
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["imported"], true);
  EXPECT_EQ(r["result"]["unchanged"], false);
  EXPECT_EQ(r["result"]["version"], 2);
  EXPECT_EQ(r["result"]["previous_version"], 1);
  EXPECT_EQ(r["result"]["added"], 1);
  EXPECT_EQ(r["result"]["changed"], 1);
  EXPECT_EQ(r["result"]["removed"], 0);
  EXPECT_EQ(r["result"]["voters"], 5);
  EXPECT_EQ(scalar(h, "SELECT count(*) FROM voters WHERE version = 1"), 4);  // never overwritten
  EXPECT_EQ(scalar(h, "SELECT count(*) FROM voters WHERE version = 2"), 5);

  // A voter dropped from the roll is a removal in a third version.
  const json dropped = import(h, kRoll.substr(0, kRoll.rfind("1004,")));
  EXPECT_EQ(dropped["result"]["version"], 3);
  EXPECT_EQ(dropped["result"]["removed"], 2);  // 1004 and 1005
  EXPECT_EQ(dropped["result"]["changed"], 1);  // 1003 back to 第2投票区
}

TEST(ElectionLink, AnArmedCounterLinksTheNextIdentifiedTapToTheVoter) {
  FakeHost h = station("honcho");
  ready(h);
  const json r = h.command("link", {{"election", "city-2027"}, {"voter_number", "1001"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["reader"], "counter-1");
  EXPECT_EQ(r["result"]["replaces_card"], false);
  EXPECT_EQ(r["result"]["expires_at"], "2027-04-05T08:02:00+09:00");

  // A failed read keeps the arm; a tap below the link assurance is refused.
  ASSERT_EQ(h.tap(Card::failed("pin_wrong", "2 tries left", "jpki"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(h.last("link_refused")["reason"], "pin_wrong");
  ASSERT_EQ(h.tap(Card::jpki("alice", "possession"), "counter-1"), KAZASU_OK);
  const json linked = h.last("linked");
  EXPECT_EQ(linked["election"], "city-2027");
  EXPECT_EQ(linked["voter_number"], "1001");
  EXPECT_EQ(linked["replaced"], false);
  EXPECT_FALSE(linked.contains("token"));
  EXPECT_EQ(scalar(h, "SELECT count(*) FROM links WHERE token = '" + FakeHost::token_of("alice") + "'"), 1);

  ASSERT_EQ(h.command("link", {{"election", "city-2027"}, {"voter_number", "1002"}})["ok"], true);
  ASSERT_EQ(h.tap(Card::jpki("alice", "possession"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(h.last("link_refused")["reason"], "already_linked");
  ASSERT_EQ(h.command("link", {{"election", "city-2027"}, {"voter_number", "1002"}})["ok"], true);
  ASSERT_EQ(h.tap(Card::jpki("bob", "fast"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(h.last("link_refused")["reason"], "assurance_too_low");

  EXPECT_EQ(h.command("link", {{"election", "city-2027"}, {"voter_number", "9999"}})["code"], "unknown_voter");
  EXPECT_EQ(h.command("link", {{"election", "nope"}, {"voter_number", "1001"}})["code"], "unknown_election");
}

TEST(ElectionReception, ALinkedCardIsReceivedWithoutPublishingPersonalData) {
  FakeHost h = quick("honcho");
  ready(h);
  link(h, "1001", "alice");
  h.advance(60'000);
  ASSERT_EQ(h.tap(Card::jpki("alice", "fast"), "reception-1"), KAZASU_OK);
  const json r = h.last("reception");
  EXPECT_EQ(r["election"], "city-2027");
  EXPECT_EQ(r["voter_number"], "1001");
  EXPECT_EQ(r["district"], "第1投票区");
  EXPECT_EQ(r["kind"], "early");
  EXPECT_EQ(r["match"], "token");
  EXPECT_EQ(r["received"], true);
  EXPECT_EQ(r["received_at"], "2027-04-05T08:01:00+09:00");
  const std::string token = FakeHost::token_of("alice");
  for (const auto& p : h.published()) {
    const std::string text = p.fields.dump();
    for (const char* personal : {"三条　", "サンジョウ", "1980-05-01", token.c_str()}) {
      EXPECT_EQ(text.find(personal), std::string::npos) << p.event << " carries " << personal;
    }
  }
  // The claim the other stations see names this station.
  const auto& records = h.shared()->records;
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records.begin()->first, std::string("election") + '\0' + "voter:city-2027:1001");
  EXPECT_EQ(json::parse(records.begin()->second.value)["station"], "honcho");

  // The same card again at this station: the hard stop, from the local row.
  ASSERT_EQ(h.tap(Card::jpki("alice", "fast"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(h.last("already_received")["received_at_station"], "honcho");
}

TEST(ElectionReception, ASecondReceptionAtAnotherStationIsAHardStopWithWhereAndWhen) {
  auto shared = std::make_shared<SharedStore>();
  FakeHost honcho = quick("honcho", shared);
  FakeHost sakae = quick("sakae", shared);
  ready(honcho);
  ready(sakae);
  link(honcho, "1001", "alice");
  link(sakae, "1001", "alice");
  honcho.set_now("2027-04-06 09:15");
  ASSERT_EQ(honcho.tap(Card::jpki("alice"), "reception-1"), KAZASU_OK);
  ASSERT_EQ(honcho.last("reception")["voter_number"], "1001");

  sakae.set_now("2027-04-07 14:30");
  ASSERT_EQ(sakae.tap(Card::jpki("alice"), "reception-1"), KAZASU_OK);
  const json a = sakae.last("already_received");
  EXPECT_EQ(a["voter_number"], "1001");
  EXPECT_EQ(a["received_at_station"], "honcho");
  EXPECT_EQ(a["received_at"], "2027-04-06T09:15:00+09:00");
  EXPECT_EQ(a["received_kind"], "early");
  EXPECT_FALSE(a["hint"].get<std::string>().empty());
  EXPECT_TRUE(sakae.all("reception").empty());
  EXPECT_EQ(scalar(sakae, "SELECT count(*) FROM receptions"), 0);
  const json counts = sakae.command("counts", {{"election", "city-2027"}});
  EXPECT_EQ(counts["result"]["receptions"], 0);
  EXPECT_EQ(counts["result"]["already_received"], 1);
}

TEST(ElectionReception, WithoutTheSharedEngineStaffAreSentToThePaperProcedure) {
  FakeHost h = quick("honcho");
  ready(h);
  link(h, "1002", "hanako");
  h.set_shared_available(false);
  ASSERT_EQ(h.tap(Card::jpki("hanako"), "reception-1"), KAZASU_OK);
  const json u = h.last("reception_unavailable");
  EXPECT_EQ(u["voter_number"], "1002");
  EXPECT_NE(u["hint"].get<std::string>().find("paper"), std::string::npos);
  EXPECT_TRUE(h.all("reception").empty());  // refused, never accepted provisionally
  EXPECT_EQ(scalar(h, "SELECT count(*) FROM receptions"), 0);
  EXPECT_TRUE(h.shared()->records.empty());

  h.set_shared_available(true);
  ASSERT_EQ(h.tap(Card::jpki("hanako"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(h.last("reception")["voter_number"], "1002");
  const json c = h.command("counts", {{"election", "city-2027"}});
  EXPECT_EQ(c["result"]["receptions"], 1);
  EXPECT_EQ(c["result"]["unavailable"], 1);
}

TEST(ElectionReception, AFailedTapReleasesItsClaimSoTheVoterCanBeReceived) {
  auto shared = std::make_shared<SharedStore>();
  FakeHost honcho = quick("honcho", shared);
  FakeHost sakae = quick("sakae", shared);
  ready(honcho);
  ready(sakae);
  link(honcho, "1003", "ichiro");
  link(sakae, "1003", "ichiro");
  // The local write after the claim fails (a full disk, say): the tap is rolled back.
  kazasu::db::exec(
      honcho.db(),
      "CREATE TRIGGER fail_reception BEFORE INSERT ON receptions BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
  EXPECT_EQ(honcho.tap(Card::jpki("ichiro"), "reception-1"), KAZASU_ERROR);
  EXPECT_TRUE(honcho.all("reception").empty());
  EXPECT_TRUE(shared->records.empty());  // the kit released the claim with the failed callback

  ASSERT_EQ(sakae.tap(Card::jpki("ichiro"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(sakae.last("reception")["voter_number"], "1003");
  kazasu::db::exec(honcho.db(), "DROP TRIGGER fail_reception;");
  ASSERT_EQ(honcho.tap(Card::jpki("ichiro"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(honcho.last("already_received")["received_at_station"], "sakae");
}

TEST(ElectionReception, AnUnknownCardGetsAHintAndNoIdentifier) {
  FakeHost h = quick("honcho");
  ready(h);
  ASSERT_EQ(h.tap(Card::jpki("stranger"), "reception-1"), KAZASU_OK);
  const json u = h.last("unknown_card");
  EXPECT_EQ(u["reason"], "not_linked");
  EXPECT_EQ(u["status"], "ok");
  EXPECT_FALSE(u.contains("voter_number"));
  EXPECT_EQ(u.dump().find(FakeHost::token_of("stranger")), std::string::npos);
  ASSERT_EQ(h.tap(Card::failed("expired", "", "jpki"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(h.last("unknown_card")["reason"], "expired");
  EXPECT_EQ(h.command("counts", {{"election", "city-2027"}})["result"]["unknown_cards"], 2);
}

TEST(ElectionReception, OnElectionDayOnlyTheAssignedStationReceives) {
  auto shared = std::make_shared<SharedStore>();
  FakeHost honcho = quick("honcho", shared);
  FakeHost school = quick("school-3", shared);
  ready(honcho);
  ready(school);
  link(honcho, "1004", "jiro");
  link(school, "1004", "jiro");
  honcho.set_now("2027-04-11 10:00");
  school.set_now("2027-04-11 10:05");
  ASSERT_EQ(honcho.tap(Card::jpki("jiro"), "reception-1"), KAZASU_OK);
  const json refused = honcho.last("reception_refused");
  EXPECT_EQ(refused["reason"], "wrong_station");
  EXPECT_EQ(refused["assigned_station"], "school-3");
  EXPECT_TRUE(shared->records.empty());
  ASSERT_EQ(school.tap(Card::jpki("jiro"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(school.last("reception")["kind"], "election_day");

  // school-3 takes no early voting: before election day it is not open.
  FakeHost early = quick("school-3");
  ready(early);
  link(early, "1004", "jiro");
  ASSERT_EQ(early.tap(Card::jpki("jiro"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(early.last("reception_refused")["reason"], "not_open");
}

TEST(ElectionCounts, CountsTodaysReceptionsHereBySexAndHour) {
  FakeHost h = quick("honcho");
  ready(h);
  link(h, "1001", "taro");
  link(h, "1002", "hanako");
  link(h, "1003", "ichiro");
  h.set_now("2027-04-05 09:10");
  ASSERT_EQ(h.tap(Card::jpki("taro"), "reception-1"), KAZASU_OK);
  h.set_now("2027-04-05 09:40");
  ASSERT_EQ(h.tap(Card::jpki("hanako"), "reception-1"), KAZASU_OK);
  h.set_now("2027-04-06 10:00");
  ASSERT_EQ(h.tap(Card::jpki("ichiro"), "reception-1"), KAZASU_OK);

  const json today = h.command("counts", {{"election", "city-2027"}});
  ASSERT_EQ(today["ok"], true) << today.dump();
  EXPECT_EQ(today["result"]["day"], "2027-04-06");
  EXPECT_EQ(today["result"]["receptions"], 1);
  EXPECT_EQ(today["result"]["male"], 1);
  const json first = h.command("counts", {{"election", "city-2027"}, {"day", "2027-04-05"}});
  EXPECT_EQ(first["result"]["receptions"], 2);
  EXPECT_EQ(first["result"]["male"], 1);
  EXPECT_EQ(first["result"]["female"], 1);
  EXPECT_EQ(first["result"]["by_hour"]["09"], 2);
  EXPECT_EQ(first["result"]["links"], 3);
  EXPECT_EQ(first["result"]["day_kind"], "early");
  EXPECT_EQ(h.command("counts", {{"election", "city-2027"}, {"day", "04/05"}})["code"], "invalid_day");
}

TEST(ElectionConfig, APollingStationIsRequired) {
  EXPECT_THROW(FakeHost("{}"), std::runtime_error);
  EXPECT_THROW(FakeHost(R"({"polling_station": "no spaces"})"), std::runtime_error);
}

TEST(ElectionRoll, ARollTooLargeForOneCommandTravelsInPartsAndIsCheckedWhole) {
  FakeHost h = station("honcho");
  ASSERT_EQ(h.command("open", kOpen)["ok"], true);
  const std::string head = kRoll.substr(0, kRoll.find("1003,"));
  const std::string tail = kRoll.substr(kRoll.find("1003,"));
  auto part = [&](int n, const std::string& csv, const std::string& upload = "u1") {
    return h.command("import_roll",
                     {{"election", "city-2027"}, {"csv", csv}, {"upload", upload}, {"part", n}, {"parts", 2}});
  };
  // The second part first: kept, nothing imported yet.
  const json first = part(2, tail);
  ASSERT_EQ(first["ok"], true) << first.dump();
  EXPECT_EQ(first["result"]["pending"], true);
  EXPECT_EQ(first["result"]["received_parts"], 1);
  EXPECT_EQ(scalar(h, "SELECT count(*) FROM voters"), 0);
  const json done = part(1, head);
  ASSERT_EQ(done["ok"], true) << done.dump();
  EXPECT_EQ(done["result"]["imported"], true);
  EXPECT_EQ(done["result"]["voters"], 4);
  EXPECT_EQ(scalar(h, "SELECT count(*) FROM roll_parts"), 0);

  // A bad line in a later part refuses the whole roll, with its line number in the whole.
  std::string bad = tail;
  bad.replace(bad.find("1990-03-03"), 10, "1990-13-03");
  ASSERT_EQ(part(1, head, "u2")["result"]["pending"], true);
  const json refused = part(2, bad, "u2");
  EXPECT_EQ(refused["result"]["imported"], false);
  EXPECT_EQ(refused["result"]["rejected"][0]["line"], 5);
  EXPECT_EQ(refused["result"]["version"], 1);

  EXPECT_EQ(part(1, "1001,x", "u3")["code"], "invalid_field");  // a part must end at a line break
  EXPECT_EQ(h.command("import_roll", {{"election", "city-2027"}, {"csv", head}, {"upload", "u4"}, {"part", 1}})["code"],
            "missing_field");
  EXPECT_EQ(h.command("import_roll",
                      {{"election", "city-2027"}, {"csv", head}, {"upload", "u4"}, {"part", 3}, {"parts", 2}})["code"],
            "invalid_field");
}

}  // namespace
