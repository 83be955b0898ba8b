// The testing kit's shared state (ABI 1.3), through the sharer test plugin:
// two hosts on one store are two stations; claims follow the callback's
// transaction, appends wait while the engine is away and arrive once.
#include <gtest/gtest.h>

#include <kazasu/testing/fake_host.hpp>
#include <nlohmann/json.hpp>

namespace {

using kazasu::testing::Card;
using kazasu::testing::FakeHost;
using kazasu::testing::Options;
using nlohmann::json;

Options station(const std::string& name, std::shared_ptr<kazasu::testing::SharedStore> store,
                const std::string& config = "{}") {
  Options o;
  o.config_json = config;
  o.station = "city/" + name;
  o.shared = std::move(store);
  return o;
}

TEST(SharerOnTheKit, ACardReceivedAtOneStationIsRefusedAtAnother) {
  FakeHost a(station("a", nullptr));
  FakeHost b(station("b", a.shared()));
  ASSERT_EQ(a.tap(Card::jpki("alice", "fast"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(a.last("received")["status"], "ok");
  ASSERT_EQ(b.tap(Card::jpki("alice", "fast"), "counter-1"), KAZASU_OK);
  const auto refused = b.last("refused");
  EXPECT_EQ(refused["status"], "exists");
  EXPECT_EQ(refused["by_station"], "city/a");
}

TEST(SharerOnTheKit, AFailedTapGivesItsClaimBack) {
  auto store = std::make_shared<kazasu::testing::SharedStore>();
  FakeHost failing(station("a", store, R"({"fail_after_claim": true})"));
  EXPECT_NE(failing.tap(Card::jpki("alice", "fast"), "counter-1"), KAZASU_OK);
  EXPECT_TRUE(store->records.empty());
  FakeHost b(station("b", store));
  ASSERT_EQ(b.tap(Card::jpki("alice", "fast"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(b.last("received")["status"], "ok");
}

TEST(SharerOnTheKit, AppendsWaitWhileTheEngineIsAwayAndArriveOnce) {
  FakeHost a(station("a", nullptr));
  auto append = [&](const std::string& id) {
    return a.command("append", {{"key", "acct"}, {"id", id}, {"amount", 10}});
  };
  EXPECT_EQ(append("v1")["result"]["status"], "ok");
  a.set_shared_available(false);
  EXPECT_EQ(append("v2")["result"]["status"], "ok");
  EXPECT_EQ(a.command("claim", {{"key", "k"}})["result"]["status"], "unavailable");
  EXPECT_EQ(a.command("entries", {{"key", "acct"}})["result"]["status"], "unavailable");
  EXPECT_EQ(a.pending_shared(), 1u);
  a.set_shared_available(true);
  EXPECT_EQ(append("v1")["result"]["status"], "ok") << "a repeat";
  const json before = a.command("entries", {{"key", "acct"}})["result"];
  EXPECT_EQ(before["sum"], 20) << "the pending entry counts, the repeat does not";
  EXPECT_EQ(before["entries"][0]["pending"], true);
  EXPECT_EQ(a.replay_shared(), 2u);
  const json after = a.command("entries", {{"key", "acct"}})["result"];
  EXPECT_EQ(after["sum"], 20);
  EXPECT_EQ(after["count"], 2);
  EXPECT_EQ(a.shared()->conflicts, 0u);
}

TEST(SharerOnTheKit, PutsFollowVersions) {
  FakeHost a(station("a", nullptr));
  EXPECT_EQ(a.command("put", {{"key", "card"}, {"value", "P1"}, {"expected", 0}})["result"]["version"], 1);
  EXPECT_EQ(a.command("put", {{"key", "card"}, {"value", "P2"}, {"expected", 0}})["result"]["status"], "conflict");
  EXPECT_EQ(a.command("put", {{"key", "card"}, {"value", "P2"}, {"expected", 1}})["result"]["version"], 2);
  EXPECT_EQ(a.command("get", {{"key", "card"}})["result"]["value"], "P2");
}

}  // namespace
