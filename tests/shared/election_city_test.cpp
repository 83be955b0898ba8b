// The election plugin at two polling stations of one city, through real
// kazasud processes and a real PostgreSQL cluster: a voter received at one
// early-voting site is stopped at the other, with where and when.
#include <gtest/gtest.h>

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
  test::Daemon& start(const std::string& name) {
    test::Daemon& d =
        CityTest::start(name, "[plugins.election]\n[plugins.election.config]\npolling_station = \"" + name +
                                  "\"\ncounter_reader = \"counter-1\"\nlink_min_assurance = \"fast\"\n"
                                  "\n[readers.counter-1]\ndriver = \"sim\"\nplugins = [\"election\"]\n"
                                  "\n[sim.cards.alice]\nkind = \"jpki\"\nserial = \"0x1A2B3C4D\"\n"
                                  "\n[sim.cards.bob]\nkind = \"jpki\"\nserial = \"0x5E6F7A8B\"\n"
                                  "\n[diagnostics]\nsettable_clock = true\n");
    std::string out;
    // During early voting, whatever today is.
    if (test::run({test::kazasuctl_path(), "--socket", (d.dir() / "control.sock").string(), "clock", "set",
                   "2027-04-06T10:00:00+09:00"},
                  out) != 0) {
      throw std::runtime_error("clock set failed: " + out);
    }
    return d;
  }
  json call(test::Subscriber& pc, const std::string& station, const std::string& cmd, const json& payload) {
    return reply(pc, station, "election", cmd, payload);
  }
  // Opens the election, imports the roll and links alice to voter 1001 at `station`.
  void prepare(test::Subscriber& pc, test::Daemon& d, const std::string& station) {
    ASSERT_EQ(call(pc, station, "open", kOpen)["ok"], true);
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

  honcho.tap("counter-1", "alice");
  auto received = pc.next("honcho/election/reception", 10s);
  ASSERT_TRUE(received) << honcho.log();
  EXPECT_EQ(json::parse(received->payload)["voter_number"], "1001");

  sakae.tap("counter-1", "alice");
  auto stopped = pc.next("sakae/election/already_received", 10s);
  ASSERT_TRUE(stopped) << sakae.log();
  const json j = json::parse(stopped->payload);
  EXPECT_EQ(j["voter_number"], "1001");
  EXPECT_NE(j["received_at_station"].get<std::string>().find("honcho"), std::string::npos) << j.dump();
  EXPECT_FALSE(pc.next("sakae/election/reception", 300ms)) << "a second reception";

  // With city hall unreachable, a voter not yet received goes to paper; nothing is accepted.
  ASSERT_EQ(call(pc, "sakae", "link", {{"election", "city-2027"}, {"voter_number", "1002"}})["ok"], true);
  sakae.tap("counter-1", "bob");
  ASSERT_TRUE(pc.next("sakae/election/linked", 10s));
  pg_.stop();
  sakae.tap("counter-1", "bob");
  auto paper = pc.next("sakae/election/reception_unavailable", 10s);
  ASSERT_TRUE(paper) << sakae.log();
  EXPECT_EQ(json::parse(paper->payload)["voter_number"], "1002");
  EXPECT_FALSE(pc.next("sakae/election/reception", 300ms)) << "accepted without the city's answer";
}

}  // namespace
}  // namespace kazasu
