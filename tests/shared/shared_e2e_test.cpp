// Stations of one city sharing state through a real PostgreSQL cluster: three
// real kazasud processes (one broker, one cluster, each station its own data
// directory), the test plugin `sharer` on each.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "city.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

const std::string kSite = test::kCitySite;

// Config body of a station running the sharer test plugin.
std::string sharer_station(const std::string& sharer_config = "") {
  return "[plugins.sharer]\npath = \"" SHARER_PLUGIN "\"\nbudget_ms = 10000\n[plugins.sharer.config]\n" +
         sharer_config +
         "\n[readers.counter-1]\ndriver = \"sim\"\nplugins = [\"sharer\"]\n"
         "\n[sim.cards.alice]\nkind = \"jpki\"\nserial = \"0x1A2B3C4D\"\n";
}

class City : public test::CityTest {
 protected:
  test::Daemon& start(const std::string& name, const std::string& sharer_config = "") {
    return CityTest::start(name, sharer_station(sharer_config), 1000);
  }
  // A command's result; a refusal throws.
  json call(test::Subscriber& pc, const std::string& name, const std::string& cmd, const json& payload) {
    const json r = reply(pc, name, "sharer", cmd, payload);
    if (r["ok"] != true) throw std::runtime_error("refused: " + r.dump());
    return r["result"];
  }
  int64_t claims_in_engine(const std::string& station) {
    return std::stoll(
        pg_.sql("SELECT count(*) FROM kazasu.shared_records WHERE plugin = 'sharer' AND station = "
                "'test-city/" +
                station + "'"));
  }
};

TEST_F(City, ACardClaimedAtOneStationIsRefusedAtTheOthersWithWhereAndWhen) {
  auto& a = start("station-1");
  auto& b = start("station-2");
  auto& c = start("station-3");
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");
  a.tap("counter-1", "alice");
  auto got = pc.next("station-1/sharer/received", 10s);
  ASSERT_TRUE(got) << a.log();
  for (auto* other : {&b, &c}) {
    other->tap("counter-1", "alice");
  }
  for (const char* name : {"station-2", "station-3"}) {
    auto refused = pc.next(std::string(name) + "/sharer/refused", 10s);
    ASSERT_TRUE(refused) << name;
    const json j = json::parse(refused->payload);
    EXPECT_EQ(j["status"], "exists");
    EXPECT_EQ(j["by_station"], "test-city/station-1") << j.dump();
    EXPECT_GT(j["at_unix_ms"].get<int64_t>(), 0);
  }
}

TEST_F(City, TwoStationsRacingForTheSameKeysLeaveExactlyOneWinnerEachTime) {
  start("station-1");
  start("station-2");
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");
  constexpr int kKeys = 1000;
  // Both stations get each key back to back: their plugins race on the engine.
  for (int i = 0; i < kKeys; ++i) {
    for (const char* name : {"station-1", "station-2"}) {
      const json req{{"key", "voter-" + std::to_string(i)}, {"value", json{{"by", name}}.dump()}};
      pc.publish(kSite + name + "/sharer/cmd/claim", req.dump(), kSite + name + "/replies/pc/claim", "c");
    }
  }
  std::map<std::string, std::vector<json>> results;
  for (const char* name : {"station-1", "station-2"}) {
    for (int i = 0; i < kKeys; ++i) {
      auto m = pc.next(std::string(name) + "/replies/pc/claim", 20s);
      ASSERT_TRUE(m) << name << " answered " << i << " of " << kKeys;
      results[name].push_back(json::parse(m->payload)["result"]);
    }
  }
  // Each station answers in the order it was asked.
  int one_wins = 0;
  for (int i = 0; i < kKeys; ++i) {
    const json& r1 = results["station-1"][i];
    const json& r2 = results["station-2"][i];
    const bool w1 = r1["status"] == "ok";
    const bool w2 = r2["status"] == "ok";
    ASSERT_NE(w1, w2) << "key " << i << ": " << r1.dump() << " / " << r2.dump();
    const json& loser = w1 ? r2 : r1;
    ASSERT_EQ(loser["status"], "exists");
    EXPECT_EQ(json::parse(loser["value"].get<std::string>())["by"], w1 ? "station-1" : "station-2") << i;
    one_wins += w1 ? 1 : 0;
  }
  std::cout << "station-1 won " << one_wins << " of " << kKeys << " races\n";
  EXPECT_EQ(std::stoll(pg_.sql("SELECT count(*) FROM kazasu.shared_records WHERE plugin = 'sharer'")), kKeys);
}

TEST_F(City, AppendsMadeWhileTheEngineIsAwayArriveOnceAndClaimsAreRefusedMeanwhile) {
  auto& a = start("station-1");
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");
  auto append = [&](int i) {
    return call(pc, "station-1", "append",
                {{"key", "account-7"}, {"id", "visit-" + std::to_string(i)}, {"body", "{}"}, {"amount", 10}});
  };
  for (int i = 0; i < 50; ++i) ASSERT_EQ(append(i)["status"], "ok");
  pg_.stop();
  for (int i = 50; i < 100; ++i) ASSERT_EQ(append(i)["status"], "ok") << "recorded locally while away";
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(call(pc, "station-1", "claim", {{"key", "voter-1"}})["status"], "unavailable");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s) << "refused within the deadline";
  EXPECT_GT(a.status()["shared"]["queued_entries"].get<int64_t>(), 0);
  pg_.start();
  for (int i = 100; i < 150; ++i) ASSERT_EQ(append(i)["status"], "ok");
  ASSERT_EQ(append(5)["status"], "ok") << "a repeated id is a no-op";
  // The replayer empties the queue by itself once the engine is back.
  int64_t queued = -1;
  int64_t in_engine = 0;
  for (int i = 0; i < 300 && (queued != 0 || in_engine != 150); ++i) {
    queued = a.status()["shared"]["queued_entries"].get<int64_t>();
    in_engine = std::stoll(pg_.sql("SELECT count(*) FROM kazasu.shared_entries WHERE plugin = 'sharer'"));
    if (queued != 0 || in_engine != 150) std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(queued, 0);
  const json e = call(pc, "station-1", "entries", {{"key", "account-7"}, {"limit", 5}});
  EXPECT_EQ(e["status"], "ok");
  EXPECT_EQ(e["count"], 150) << "none lost, none doubled";
  EXPECT_EQ(e["sum"], 1500);
  EXPECT_EQ(std::stoll(pg_.sql("SELECT count(*) FROM kazasu.shared_entries WHERE plugin = 'sharer'")), 150);
}

TEST_F(City, AStationKilledBetweenClaimAndCommitReleasesTheClaimWhenItComesBack) {
  auto& a = start("station-1", "pause_after_claim_ms = 5000\n");
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");
  a.tap("counter-1", "alice");
  int64_t held = 0;
  for (int i = 0; i < 100 && held == 0; ++i) {
    held = claims_in_engine("station-1");
    if (held == 0) std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(held, 1) << "the claim reached the engine before the commit";
  ASSERT_EQ(a.stop(SIGKILL, 5s), 128 + SIGKILL);
  // The same station comes back without the pause.
  test::write_file(a.config_file(), config("station-1", sharer_station(), 1000));
  a.restart();
  wait_online("station-1");
  for (int i = 0; i < 100 && held != 0; ++i) {
    held = claims_in_engine("station-1");
    if (held != 0) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(held, 0) << "a claim with no committed tap was left on the engine";
  EXPECT_FALSE(pc.next("station-1/sharer/received", 200ms)) << "an outcome with no claim";
  EXPECT_EQ(a.status()["shared"]["released_claims"], 1);
  // They agree from here on: the card can be received now, once.
  a.tap("counter-1", "alice");
  ASSERT_TRUE(pc.next("station-1/sharer/received", 10s));
  EXPECT_EQ(claims_in_engine("station-1"), 1);
}

TEST_F(City, ATapThatFailsAfterItsClaimGivesTheClaimBack) {
  auto& a = start("station-1", "fail_after_claim = true\n");
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");
  const std::string id = a.tap("counter-1", "alice");
  auto error = pc.next("station-1/sharer/error", 10s);
  ASSERT_TRUE(error);
  EXPECT_EQ(json::parse(error->payload)["id"], id);
  EXPECT_EQ(claims_in_engine("station-1"), 0);
}

TEST_F(City, AnEntryIdHeldWithAnotherBodyIsReportedNeverMerged) {
  start("station-1");
  auto& b = start("station-2");
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");
  ASSERT_EQ(call(pc, "station-1", "append", {{"key", "acct"}, {"id", "award-1"}, {"amount", 10}})["status"], "ok");
  // Recorded locally at once; the conflict shows when the entry reaches the engine.
  ASSERT_EQ(call(pc, "station-2", "append", {{"key", "acct"}, {"id", "award-1"}, {"amount", 20}})["status"], "ok");
  auto conflict = pc.next("station-2/sharer/shared_conflict", 10s);
  ASSERT_TRUE(conflict);
  EXPECT_EQ(json::parse(conflict->payload)["entry_id"], "award-1");
  bool alarmed = false;
  for (auto m = pc.next("station-2/daemon/alarm", 5s); m && !alarmed; m = pc.next("station-2/daemon/alarm", 5s)) {
    alarmed = json::parse(m->payload)["alarm"] == "shared_conflict";
  }
  EXPECT_TRUE(alarmed);
  EXPECT_EQ(b.status()["shared"]["conflicts"], 1);
  EXPECT_EQ(call(pc, "station-1", "entries", {{"key", "acct"}})["sum"], 10) << "the engine's entry stands";
}

TEST_F(City, PutsAreGuardedByVersionAcrossStations) {
  start("station-1");
  start("station-2");
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");
  const json first = call(pc, "station-1", "put", {{"key", "card:x"}, {"value", "patron-1"}, {"expected", 0}});
  ASSERT_EQ(first["status"], "ok");
  EXPECT_EQ(call(pc, "station-2", "get", {{"key", "card:x"}})["value"], "patron-1");
  EXPECT_EQ(call(pc, "station-2", "put", {{"key", "card:x"}, {"value", "patron-2"}, {"expected", 0}})["status"],
            "conflict");
  EXPECT_EQ(call(pc, "station-2", "put", {{"key", "card:x"}, {"value", "patron-2"}, {"expected", 1}})["status"], "ok");
  const json stale = call(pc, "station-1", "put", {{"key", "card:x"}, {"expected", 1}});
  EXPECT_EQ(stale["status"], "conflict") << "an unlink based on an old version is refused";
  EXPECT_EQ(stale["value"], "patron-2");
  EXPECT_EQ(call(pc, "station-1", "put", {{"key", "card:x"}, {"expected", 2}})["status"], "ok");
  EXPECT_EQ(call(pc, "station-2", "get", {{"key", "card:x"}})["status"], "not_found");
}

// True when process `pid` has a file whose name starts with `library` mapped.
bool maps_library(pid_t pid, const std::string& library) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  for (std::string line; std::getline(maps, line);) {
    const auto slash = line.rfind('/');
    if (slash != std::string::npos && line.compare(slash + 1, library.size(), library) == 0) return true;
  }
  return false;
}

// libpq and what it pulls in are loaded by a station whose shared state is on PostgreSQL,
// and only by it: on SQLite they would be a few MiB of memory for nothing.
TEST_F(City, OnlyAStationOnPostgresqlLoadsLibpq) {
  auto& a = start("station-1");
  EXPECT_TRUE(maps_library(a.pid(), "libpq.so.5"));
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");
  EXPECT_EQ(call(pc, "station-1", "put", {{"key", "k"}, {"value", "v"}, {"expected", 0}})["status"], "ok");

  const fs::path dir = dir_.path() / "alone";
  fs::create_directories(dir);
  std::string text = test::daemon_config(dir, broker_->uri(), sharer_station());
  const std::string from = "name = \"station-1\"";
  text.replace(text.find(from), from.size(), "name = \"alone\"");
  test::Daemon alone(dir, text);
  EXPECT_FALSE(maps_library(alone.pid(), "libpq.so")) << "a station on SQLite mapped libpq";
  EXPECT_EQ(alone.status()["shared"]["engine"], "sqlite");
}

}  // namespace
}  // namespace kazasu
