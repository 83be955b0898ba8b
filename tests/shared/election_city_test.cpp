// The election plugin at two polling stations of one city, through real
// kazasud processes and a real PostgreSQL cluster: a tap's match and staff's
// confirmation, a voter received at one early-voting site stopped at the
// other with where and when, two stations confirming one voter at once, the
// paper procedure while the cluster is down and its entry afterwards, and
// counts across an hour boundary, close, export and purge on the daemon's
// settable clock.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "city.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const json kOpen = {{"election", "city-2027"},
                    {"name", "市議会議員一般選挙"},
                    {"early_voting_start", "2027-04-05"},
                    {"early_voting_end", "2027-04-10"},
                    {"election_day", "2027-04-11"},
                    {"stations", {{{"id", "honcho"}}, {{"id", "sakae"}}}}};

const std::string kRoll =
    "voter_number,name_kanji,name_kana,birth_date,sex,district,station,note\n"
    "1001,三条　太郎,サンジョウ　タロウ,1980-05-01,1,第1投票区,honcho,\n"
    "1002,栄　花子,サカエ　ハナコ,1985-07-12,2,第2投票区,sakae,\n";

class ElectionCity : public test::CityTest {
 protected:
  test::Daemon& start(const std::string& name, const std::string& settings = "") {
    test::Daemon& d =
        CityTest::start(name, "[plugins.election]\n[plugins.election.config]\npolling_station = \"" + name +
                                  "\"\ncounter_reader = \"counter-1\"\nlink_min_assurance = \"fast\"\n" + settings +
                                  "\n[readers.counter-1]\ndriver = \"sim\"\nplugins = [\"election\"]\n"
                                  "\n[sim.cards.alice]\nkind = \"jpki\"\nserial = \"0x1A2B3C4D\"\n"
                                  "\n[sim.cards.bob]\nkind = \"jpki\"\nserial = \"0x5E6F7A8B\"\n"
                                  "\n[diagnostics]\nsettable_clock = true\n");
    // During early voting, whatever today is.
    set_clock(d, "2027-04-06T10:00:00+09:00");
    return d;
  }
  static void set_clock(test::Daemon& d, const std::string& at) {
    std::string out;
    if (test::run({test::kazasuctl_path(), "--socket", (d.dir() / "control.sock").string(), "clock", "set", at}, out) !=
        0) {
      throw std::runtime_error("clock set failed: " + out);
    }
  }
  // A tap that finds the voter shows the match; staff's confirm receives.
  json tap_and_confirm(test::Subscriber& pc, test::Daemon& d, const std::string& station, const std::string& card,
                       const std::string& voter) {
    d.tap("counter-1", card);
    auto m = pc.next(station + "/election/match", 10s);
    if (!m) throw std::runtime_error("no match at " + station + "\n" + d.log());
    EXPECT_EQ(json::parse(m->payload)["voter_number"], voter);
    return call(pc, station, "confirm", {{"election", "city-2027"}, {"voter_number", voter}});
  }
  json call(test::Subscriber& pc, const std::string& station, const std::string& cmd, const json& payload) {
    return reply(pc, station, "election", cmd, payload);
  }
  // Opens the election, imports the roll and links alice to voter 1001 at `station`.
  void prepare(test::Subscriber& pc, test::Daemon& d, const std::string& station) {
    ASSERT_EQ(call(pc, station, "open", kOpen)["ok"], true);
    // A roll with bad lines is refused whole, each line named.
    const json bad =
        call(pc, station, "import_roll",
             {{"election", "city-2027"},
              {"csv", kRoll + "1003,北　三郎,キタ　サブロウ,1960-02-30,1,第1投票区,honcho,\n1004,短い\n"}});
    ASSERT_EQ(bad["result"]["imported"], false) << bad.dump();
    EXPECT_EQ(bad["result"]["rejected"], json::parse(R"([{"line":4,"reason":"birth_date must be a real date written )"
                                                     R"(YYYY-MM-DD"},{"line":5,"reason":"expected 8 fields (9 with )"
                                                     R"(address), found 2"}])"));
    EXPECT_EQ(bad["result"]["version"], 0);
    const json imported = call(pc, station, "import_roll", {{"election", "city-2027"}, {"csv", kRoll}});
    ASSERT_EQ(imported["result"]["imported"], true) << imported.dump();
    ASSERT_EQ(call(pc, station, "link", {{"election", "city-2027"}, {"voter_number", "1001"}})["ok"], true);
    d.tap("counter-1", "alice");
    ASSERT_TRUE(pc.next(station + "/election/linked", 10s)) << d.log();
  }
};

TEST_F(ElectionCity, AVoterReceivedAtOneStationIsStoppedAtTheOther) {
  auto& honcho = start("honcho");
  auto& sakae = start("sakae");
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");
  prepare(pc, honcho, "honcho");
  prepare(pc, sakae, "sakae");

  // A tap alone records nothing: the reception is staff's confirmation.
  const json confirmed = tap_and_confirm(pc, honcho, "honcho", "alice", "1001");
  ASSERT_EQ(confirmed["ok"], true) << confirmed.dump();
  EXPECT_EQ(confirmed["result"]["received"], true);
  auto received = pc.next("honcho/election/reception", 10s);
  ASSERT_TRUE(received) << honcho.log();
  EXPECT_EQ(json::parse(received->payload)["voter_number"], "1001");
  auto declaration = pc.next("honcho/election/declaration", 10s);
  ASSERT_TRUE(declaration);
  EXPECT_EQ(json::parse(declaration->payload)["personal_fields"], "none");  // plain MQTT here

  sakae.tap("counter-1", "alice");
  auto stopped = pc.next("sakae/election/already_received", 10s);
  ASSERT_TRUE(stopped) << sakae.log();
  const json j = json::parse(stopped->payload);
  EXPECT_EQ(j["voter_number"], "1001");
  EXPECT_EQ(j["received_at_station"], "honcho");
  EXPECT_EQ(j["received_at"].get<std::string>().rfind("2027-04-06T10:00:", 0), 0u) << j.dump();
  EXPECT_FALSE(pc.next("sakae/election/match", 300ms)) << "a match for a received voter";
  const json late = call(pc, "sakae", "confirm", {{"election", "city-2027"}, {"voter_number", "1001"}});
  EXPECT_EQ(late["error"]["code"], "no_match") << late.dump();

  // With city hall unreachable, a voter not yet received goes to paper; nothing is accepted.
  ASSERT_EQ(call(pc, "sakae", "link", {{"election", "city-2027"}, {"voter_number", "1002"}})["ok"], true);
  sakae.tap("counter-1", "bob");
  ASSERT_TRUE(pc.next("sakae/election/linked", 10s));
  pg_.stop();
  sakae.tap("counter-1", "bob");
  auto paper = pc.next("sakae/election/reception_unavailable", 10s);
  ASSERT_TRUE(paper) << sakae.log();
  EXPECT_EQ(json::parse(paper->payload)["voter_number"], "1002");
  EXPECT_FALSE(pc.next("sakae/election/match", 300ms)) << "a match without the city's answer";
  const json entry{{"election", "city-2027"},
                   {"receptions",
                    {{{"voter_number", "1002"}, {"at", "2027-04-06T10:00"}},
                     {{"voter_number", "1001"}, {"at", "2027-04-06T10:00"}}}}};
  EXPECT_EQ(call(pc, "sakae", "enter_paper", entry)["error"]["code"], "shared_unavailable");

  // Back: the paper receptions are entered, and the one that clashes is reported.
  pg_.start();
  json entered;
  for (int i = 0; i < 50; ++i) {
    entered = call(pc, "sakae", "enter_paper", entry);
    if (entered["ok"] == true) break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(entered["ok"], true) << entered.dump();
  EXPECT_EQ(entered["result"]["entered"], 1);
  EXPECT_EQ(entered["result"]["conflicts"], 1);
  EXPECT_EQ(entered["result"]["results"][1]["received_at_station"], "honcho");
  auto conflict = pc.next("sakae/election/paper_conflict", 10s);
  ASSERT_TRUE(conflict);
  EXPECT_EQ(json::parse(conflict->payload)["voter_number"], "1001");
  // The election's counts, from both stations' tallies in the cluster.
  json counts;
  for (int i = 0; i < 50; ++i) {  // sakae's tallies reach the cluster right after its commit
    counts = call(pc, "honcho", "counts", {{"election", "city-2027"}, {"scope", "election"}});
    if (counts["ok"] == true && counts["result"]["voters"] == 2) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(counts["result"]["voters"], 2) << counts.dump();
  EXPECT_EQ(counts["result"]["turnout"], 100.0);
  EXPECT_EQ(counts["result"]["by_station"], json({{"honcho", 1}, {"sakae", 1}}));
}

TEST_F(ElectionCity, TwoStationsConfirmingOneVoterAtOnceReceiveItOnce) {
  auto& honcho = start("honcho");
  auto& sakae = start("sakae");
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");
  prepare(pc, honcho, "honcho");
  prepare(pc, sakae, "sakae");
  honcho.tap("counter-1", "alice");
  sakae.tap("counter-1", "alice");
  ASSERT_TRUE(pc.next("honcho/election/match", 10s));
  ASSERT_TRUE(pc.next("sakae/election/match", 10s));
  // Both confirms leave before either answers.
  const json req{{"election", "city-2027"}, {"voter_number", "1001"}};
  pc.publish(test::kCitySite + "honcho/election/cmd/confirm", req.dump(), test::kCitySite + "honcho/replies/pc/c1",
             "c1");
  pc.publish(test::kCitySite + "sakae/election/cmd/confirm", req.dump(), test::kCitySite + "sakae/replies/pc/c2", "c2");
  auto a = pc.next("honcho/replies/pc/c1", 10s);
  auto b = pc.next("sakae/replies/pc/c2", 10s);
  ASSERT_TRUE(a && b);
  const json ja = json::parse(a->payload);
  const json jb = json::parse(b->payload);
  ASSERT_EQ(ja["ok"], true) << ja.dump();
  ASSERT_EQ(jb["ok"], true) << jb.dump();
  EXPECT_NE(ja["result"]["received"], jb["result"]["received"]) << ja.dump() << jb.dump();
  const json& loser = ja["result"]["received"] == true ? jb : ja;
  EXPECT_EQ(loser["result"]["reason"], "already_received");
}

TEST_F(ElectionCity, CountsCrossAnHourAndCloseExportsAndPurgeWaitsForRetention) {
  auto& honcho = start("honcho", "reception = \"one_step\"\nretention_days = 1\n");
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");
  prepare(pc, honcho, "honcho");
  ASSERT_EQ(call(pc, "honcho", "link", {{"election", "city-2027"}, {"voter_number", "1002"}})["ok"], true);
  honcho.tap("counter-1", "bob");
  ASSERT_TRUE(pc.next("honcho/election/linked", 10s));

  set_clock(honcho, "2027-04-06T09:59:30+09:00");
  honcho.tap("counter-1", "alice");
  ASSERT_TRUE(pc.next("honcho/election/reception", 10s)) << honcho.log();
  set_clock(honcho, "2027-04-06T10:00:10+09:00");
  honcho.tap("counter-1", "bob");
  ASSERT_TRUE(pc.next("honcho/election/reception", 10s)) << honcho.log();
  const json c = call(pc, "honcho", "counts", {{"election", "city-2027"}});
  ASSERT_EQ(c["ok"], true) << c.dump();
  EXPECT_EQ(c["result"]["by_hour"], json({{"09", 1}, {"10", 1}}));
  EXPECT_EQ(c["result"]["by_hour_sex"]["10"], json({{"male", 0}, {"female", 1}}));
  const json recon = call(pc, "honcho", "ballots_issued", {{"election", "city-2027"}, {"hour", 10}, {"issued", 2}});
  EXPECT_EQ(recon["result"]["flagged"], true);
  EXPECT_EQ(recon["result"]["receptions"], 1);

  set_clock(honcho, "2027-04-11T20:05:00+09:00");
  const json closed = call(pc, "honcho", "close", {{"election", "city-2027"}});
  ASSERT_EQ(closed["ok"], true) << closed.dump();
  EXPECT_EQ(closed["result"]["receptions"], 2);
  const std::string csv = closed["result"]["csv"];
  EXPECT_NE(csv.find("city-2027,1001,第1投票区,early,token,2027-04-06T09:59:30+09:00"), std::string::npos) << csv;
  EXPECT_EQ(call(pc, "honcho", "purge", {{"election", "city-2027"}})["error"]["code"], "retention_running");
  set_clock(honcho, "2027-04-12T20:06:00+09:00");
  const json purged = call(pc, "honcho", "purge", {{"election", "city-2027"}, {"release_shared", true}});
  ASSERT_EQ(purged["ok"], true) << purged.dump();
  EXPECT_EQ(purged["result"]["receptions_deleted"], 2);
  EXPECT_EQ(purged["result"]["shared_released"], 2);
  EXPECT_EQ(std::stoll(pg_.sql("SELECT count(*) FROM kazasu.shared_records WHERE key LIKE 'voter:city-2027:%'")), 0);
}

TEST_F(ElectionCity, TwoElectionsAtOnceAndElectionDayAtTheWrongStationAndAVoterWithoutACard) {
  auto& honcho = start("honcho");
  auto& sakae = start("sakae");
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");
  prepare(pc, honcho, "honcho");
  prepare(pc, sakae, "sakae");
  // The Supreme Court review held with it, its early voting starting later.
  json review = kOpen;
  review["election"] = "review-2027";
  review["name"] = "最高裁判所裁判官国民審査";
  review["early_voting_start"] = "2027-04-06";
  for (const char* station : {"honcho", "sakae"}) {
    ASSERT_EQ(call(pc, station, "open", review)["ok"], true);
    ASSERT_EQ(call(pc, station, "import_roll", {{"election", "review-2027"}, {"csv", kRoll}})["result"]["imported"],
              true);
  }
  ASSERT_EQ(call(pc, "honcho", "link", {{"election", "review-2027"}, {"voter_number", "1001"}})["ok"], true);
  honcho.tap("counter-1", "alice");
  ASSERT_TRUE(pc.next("honcho/election/linked", 10s));

  // One tap, one match per election; each confirmed on its own.
  honcho.tap("counter-1", "alice");
  std::set<std::string> elections;
  for (int i = 0; i < 2; ++i) {
    auto m = pc.next("honcho/election/match", 10s);
    ASSERT_TRUE(m) << honcho.log();
    elections.insert(json::parse(m->payload)["election"].get<std::string>());
  }
  EXPECT_EQ(elections, (std::set<std::string>{"city-2027", "review-2027"}));
  EXPECT_EQ(
      call(pc, "honcho", "confirm", {{"election", "review-2027"}, {"voter_number", "1001"}})["result"]["received"],
      true);
  // At sakae the review stops the voter, the city election does not.
  sakae.tap("counter-1", "alice");
  auto stop = pc.next("sakae/election/already_received", 10s);
  ASSERT_TRUE(stop);
  EXPECT_EQ(json::parse(stop->payload)["election"], "review-2027");
  auto match = pc.next("sakae/election/match", 10s);
  ASSERT_TRUE(match);
  EXPECT_EQ(json::parse(match->payload)["election"], "city-2027");

  // Election day: bob (assigned to sakae) at honcho is sent to sakae; received there without his card.
  set_clock(honcho, "2027-04-11T09:00:00+09:00");
  set_clock(sakae, "2027-04-11T09:05:00+09:00");
  const json wrong =
      call(pc, "honcho", "confirm", {{"election", "city-2027"}, {"voter_number", "1002"}, {"without_card", true}});
  EXPECT_EQ(wrong["result"]["received"], false) << wrong.dump();
  EXPECT_EQ(wrong["result"]["reason"], "wrong_station");
  EXPECT_EQ(wrong["result"]["assigned_station"], "sakae");
  const json roll =
      call(pc, "sakae", "confirm", {{"election", "city-2027"}, {"voter_number", "1002"}, {"without_card", true}});
  EXPECT_EQ(roll["result"]["received"], true) << roll.dump();
  EXPECT_EQ(roll["result"]["match"], "roll");
  EXPECT_EQ(roll["result"]["kind"], "election_day");
}

}  // namespace
}  // namespace kazasu
