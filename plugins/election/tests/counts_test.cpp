// Counts, reconciliation, closing and purging on the SDK's testing kit: a
// station's counts by hour and sex across an hour boundary, the election's
// counts from every station's tallies in the shared store, turnout, the
// retained counts, ballots issued against receptions, close with its CSV,
// and purge after the retention period.
#include "election_kit.hpp"

namespace {

using namespace kazasu::election_test;

void receive(FakeHost& h, const std::string& voter, const std::string& card, const std::string& at) {
  h.set_now(at);
  link(h, voter, card);
  ASSERT_EQ(h.tap(Card::jpki(card), "reception-1"), KAZASU_OK);
  const json c = h.command("confirm", {{"election", "city-2027"}, {"voter_number", voter}});
  ASSERT_EQ(c["result"]["received"], true) << c.dump();
}

TEST(ElectionCounts, AStationCountsByHourAndSexAcrossAnHourBoundary) {
  FakeHost h = station("honcho");
  ready(h);
  receive(h, "1001", "taro", "2027-04-05 09:59");
  receive(h, "1002", "hanako", "2027-04-05 10:00");
  receive(h, "1003", "ichiro", "2027-04-05 10:30");
  const json r = h.command("counts", {{"election", "city-2027"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  const json& c = r["result"];
  EXPECT_EQ(c["scope"], "station");
  EXPECT_EQ(c["receptions"], 3);
  EXPECT_EQ(c["by_hour"], json({{"09", 1}, {"10", 2}}));
  EXPECT_EQ(c["by_hour_sex"]["09"], json({{"male", 1}, {"female", 0}}));
  EXPECT_EQ(c["by_hour_sex"]["10"], json({{"male", 1}, {"female", 1}}));
  EXPECT_EQ(c["by_district"], json({{"第1投票区", 2}, {"第2投票区", 1}}));
  EXPECT_EQ(c["matches"], 3);
  EXPECT_EQ(c["early"], 3);
  // The retained counts follow every reception.
  const json kept = h.retained("counts");
  EXPECT_EQ(kept["elections"][0]["receptions"], 3);
  EXPECT_EQ(kept["polling_station"], "honcho");
}

TEST(ElectionCounts, TheElectionsCountsComeFromEveryStationWithTurnout) {
  auto shared = std::make_shared<SharedStore>();
  FakeHost honcho = station("honcho", shared);
  FakeHost sakae = station("sakae", shared);
  ready(honcho);
  ready(sakae);
  receive(honcho, "1001", "taro", "2027-04-05 09:00");
  receive(sakae, "1002", "hanako", "2027-04-05 09:30");
  ASSERT_EQ(honcho.command("absentee", {{"election", "city-2027"}, {"voter_number", "1003"}})["result"]["received"],
            true);
  const json r = sakae.command("counts", {{"election", "city-2027"}, {"scope", "election"}, {"day", "2027-04-05"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  const json& c = r["result"];
  EXPECT_EQ(c["voters"], 3);
  EXPECT_EQ(c["electorate"], 4);
  EXPECT_EQ(c["turnout"], 75.0);
  EXPECT_EQ(c["male"], 2);
  EXPECT_EQ(c["female"], 1);
  EXPECT_EQ(c["by_kind"]["early"], json({{"male", 1}, {"female", 1}, {"total", 2}}));
  EXPECT_EQ(c["by_kind"]["absentee"]["total"], 1);
  EXPECT_EQ(c["by_station"]["honcho"], 2);
  EXPECT_EQ(c["by_station"]["sakae"], 1);
  EXPECT_EQ(c["by_district"]["第1投票区"], json({{"voters", 2}, {"electorate", 2}, {"turnout", 100.0}}));
  EXPECT_EQ(c["early_day"]["honcho"]["male"], 1);
  EXPECT_EQ(c["early_day"]["sakae"]["female"], 1);
  shared->available = false;
  EXPECT_EQ(sakae.command("counts", {{"election", "city-2027"}, {"scope", "election"}})["code"], "shared_unavailable");
  EXPECT_EQ(sakae.command("counts", {{"election", "city-2027"}, {"scope", "city"}})["code"], "invalid_field");
}

TEST(ElectionCounts, BallotsIssuedAreReconciledWithReceptionsEachHour) {
  FakeHost h = station("honcho");
  ready(h);
  receive(h, "1001", "taro", "2027-04-05 09:10");
  receive(h, "1002", "hanako", "2027-04-05 09:50");
  receive(h, "1003", "ichiro", "2027-04-05 10:05");
  const json ok = h.command("ballots_issued", {{"election", "city-2027"}, {"hour", 10}, {"issued", 2}});
  ASSERT_EQ(ok["ok"], true) << ok.dump();
  EXPECT_EQ(ok["result"]["receptions"], 2);
  EXPECT_EQ(ok["result"]["flagged"], false);
  const json off = h.command("ballots_issued", {{"election", "city-2027"}, {"hour", 11}, {"issued", 4}});
  EXPECT_EQ(off["result"]["receptions"], 3);
  EXPECT_EQ(off["result"]["difference"], 1);
  EXPECT_EQ(off["result"]["flagged"], true);
  EXPECT_EQ(h.last("reconciliation")["flagged"], true);
  EXPECT_EQ(h.command("ballots_issued", {{"election", "city-2027"}, {"hour", 25}, {"issued", 4}})["code"],
            "invalid_field");
  EXPECT_EQ(h.command("ballots_issued", {{"election", "city-2027"}, {"hour", 11}})["code"], "missing_field");
}

TEST(ElectionClose, CloseFreezesAndExportsAndPurgeWaitsForTheRetentionPeriod) {
  FakeHost h = station("honcho", nullptr, json{{"retention_days", 30}});
  ready(h);
  receive(h, "1001", "taro", "2027-04-05 09:10");
  receive(h, "1002", "hanako", "2027-04-05 09:20");
  EXPECT_EQ(h.command("purge", {{"election", "city-2027"}})["code"], "not_closed");
  h.set_now("2027-04-11 20:30");
  const json closed = h.command("close", {{"election", "city-2027"}});
  ASSERT_EQ(closed["ok"], true) << closed.dump();
  EXPECT_EQ(closed["result"]["receptions"], 2);
  const std::string csv = closed["result"]["csv"];
  EXPECT_EQ(csv.substr(0, csv.find("\r\n")), "election,voter_number,district,kind,method,received_at");
  EXPECT_NE(csv.find("city-2027,1001,第1投票区,early,token,2027-04-05T09:10:00+09:00"), std::string::npos);
  EXPECT_EQ(csv.find("三条"), std::string::npos);  // no names in the export
  EXPECT_EQ(h.command("close", {{"election", "city-2027"}})["result"]["already_closed"], true);

  // Frozen: no reception, no import, no confirm.
  EXPECT_EQ(h.command("confirm", {{"election", "city-2027"}, {"voter_number", "1003"}, {"without_card", true}})["code"],
            "election_closed");
  EXPECT_EQ(import(h, kRoll)["code"], "election_closed");
  h.set_now("2027-04-11 20:40");
  ASSERT_EQ(h.tap(Card::jpki("taro"), "reception-1"), KAZASU_OK);
  EXPECT_EQ(h.last("reception_refused")["reason"], "not_open");

  EXPECT_EQ(h.command("purge", {{"election", "city-2027"}})["code"], "retention_running");
  h.set_now("2027-05-11 20:31");
  const json purged = h.command("purge", {{"election", "city-2027"}});
  ASSERT_EQ(purged["ok"], true) << purged.dump();
  EXPECT_EQ(purged["result"]["voters_deleted"], 4);
  EXPECT_EQ(purged["result"]["receptions_deleted"], 2);
  EXPECT_EQ(scalar(h, "SELECT count(*) FROM voters"), 0);
  EXPECT_EQ(scalar(h, "SELECT count(*) FROM receptions"), 0);
  EXPECT_EQ(scalar(h, "SELECT count(*) FROM links"), 0);
  EXPECT_EQ(h.command("close", {{"election", "city-2027"}})["code"], "purged");
}

}  // namespace
