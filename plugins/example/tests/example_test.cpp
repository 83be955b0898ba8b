// The example plugin on the SDK's testing kit: taps of each card kind, a tap
// that was not identified, the count command and its refusal, and the count
// kept in the plugin's own database across a restart. Copy this file with the
// plugin: it is how a plugin's behaviour is tested without kazasud.
#include <gtest/gtest.h>

#include <kazasu/sqlite.hpp>
#include <kazasu/testing/fake_host.hpp>
#include <nlohmann/json.hpp>

namespace {

using kazasu::testing::Card;
using kazasu::testing::FakeHost;
using nlohmann::json;

TEST(Example, AnIdentifiedTapIsSeenWithItsTokenKindAndAssurance) {
  FakeHost host;  // settings "{}": greeting takes its declared default
  ASSERT_EQ(host.tap(Card::jpki("alice", "possession"), "counter-1"), KAZASU_OK);
  const json seen = host.last("seen");
  EXPECT_EQ(seen["token"], FakeHost::token_of("alice"));
  EXPECT_EQ(seen["card_kind"], "jpki");
  EXPECT_EQ(seen["assurance"], "possession");
  EXPECT_EQ(seen["taps"], 1);
  EXPECT_EQ(seen["greeting"], "welcome");
  EXPECT_EQ(seen["reader"], "counter-1");
  EXPECT_FALSE(host.published().back().retained);
}

TEST(Example, EveryCardKindIsCountedPerToken) {
  FakeHost host(R"({"greeting": "hello"})");
  ASSERT_EQ(host.tap(Card::uid("badge")), KAZASU_OK);
  ASSERT_EQ(host.tap(Card::freearea("library-card", "verified")), KAZASU_OK);
  ASSERT_EQ(host.tap(Card::uid("badge")), KAZASU_OK);
  const auto seen = host.all("seen");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0]["card_kind"], "uid");
  EXPECT_EQ(seen[0]["assurance"], "uid");
  EXPECT_EQ(seen[1]["card_kind"], "freearea");
  EXPECT_EQ(seen[2]["taps"], 2);
  EXPECT_EQ(seen[2]["greeting"], "hello");
}

TEST(Example, ATapThatWasNotIdentifiedIsRefusedWithItsReason) {
  FakeHost host;
  ASSERT_EQ(host.tap(Card::failed("expired", "the certificate expired", "jpki")), KAZASU_OK);
  const json refused = host.last("refused");
  EXPECT_EQ(refused["status"], "expired");
  EXPECT_EQ(refused["message"], "the certificate expired");
  EXPECT_TRUE(host.all("seen").empty());
}

TEST(Example, CountAnswersTheTapsOfAToken) {
  FakeHost host;
  host.tap(Card::jpki("alice"));
  host.tap(Card::jpki("alice"));
  const json reply = host.command("count", {{"token", FakeHost::token_of("alice")}});
  ASSERT_EQ(reply["ok"], true) << reply.dump();
  EXPECT_EQ(reply["result"]["taps"], 2);
  EXPECT_EQ(host.command("count", {{"token", FakeHost::token_of("bob")}})["result"]["taps"], 0);
  const json refused = host.command("count", json::object());
  EXPECT_EQ(refused["ok"], false);
  EXPECT_EQ(refused["code"], "missing_field");
  EXPECT_EQ(host.command("reset", json::object())["code"], "unknown_command");
}

TEST(Example, CountsLiveInThePluginsOwnDatabaseAndSurviveARestart) {
  FakeHost host;
  host.tap(Card::jpki("alice"));
  host.restart();
  host.tap(Card::jpki("alice"));
  EXPECT_EQ(host.last("seen")["taps"], 2);
  kazasu::db::Statement st(host.db(), "SELECT taps FROM taps_per_token WHERE token = ?1");
  st.bind(1, FakeHost::token_of("alice"));
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(0), 2);
  kazasu::db::Statement mode(host.db(), "PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.text(0), "wal");
}

}  // namespace
