// The library plugin's tap and command paths through its C ABI on the SDK's
// testing kit, without SIP2: arming a reader and linking the next tap, the
// assurance a link needs, failed reads that keep the arm, a card linked to
// another patron, hints for unknown cards, unlinking, and daily counts in
// station time.
#include <gtest/gtest.h>

#include <kazasu/testing/fake_host.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace kazasu::library {
namespace {

using kazasu::testing::Card;
using kazasu::testing::FakeHost;
using nlohmann::json;

// The counter reader is armed by default; linking needs possession unless a test says otherwise.
FakeHost station(const std::string& extra = "") {
  return FakeHost(R"({"counter_reader": "counter-1", "link_min_assurance": "possession")" + extra + "}");
}

json arm(FakeHost& h, const std::string& patron, const std::string& reader = "") {
  json request{{"patron", patron}};
  if (!reader.empty()) request["reader"] = reader;
  return h.command("link", request);
}

// Links `card` to `patron` at the counter.
void link(FakeHost& h, const std::string& patron, const std::string& card) {
  ASSERT_EQ(arm(h, patron)["ok"], true);
  ASSERT_EQ(h.tap(Card::jpki(card, "possession"), "counter-1"), KAZASU_OK);
  ASSERT_EQ(h.last("linked")["patron"], patron);
}

TEST(LibraryLink, AnArmedCounterLinksTheNextIdentifiedTapAndThenKnowsThePatron) {
  FakeHost h = station();
  const json r = arm(h, "P0001");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["reader"], "counter-1");
  EXPECT_EQ(r["result"]["replaces_card"], false);
  EXPECT_EQ(r["result"]["timeout_s"], 120);
  EXPECT_EQ(r["result"]["expires_at"], "2027-04-05T08:02:00+09:00");

  ASSERT_EQ(h.tap(Card::jpki("alice", "possession"), "counter-1"), KAZASU_OK);
  const json linked = h.last("linked");
  EXPECT_EQ(linked["patron"], "P0001");
  EXPECT_EQ(linked["replaced"], false);
  EXPECT_EQ(linked["assurance"], "possession");
  EXPECT_EQ(linked["card_kind"], "jpki");
  EXPECT_EQ(linked["reader"], "counter-1");
  EXPECT_FALSE(linked.contains("token"));  // the link is by patron number; the token stays in the plugin

  // The arm is spent: the same card now says who stands at the counter, at any reader.
  h.advance(int64_t{3} * 24 * 3600 * 1000);
  ASSERT_EQ(h.tap(Card::jpki("alice", "fast"), "counter-2"), KAZASU_OK);
  const json patron = h.last("patron");
  EXPECT_EQ(patron["patron"], "P0001");
  EXPECT_EQ(patron["link_age_days"], 3);
  EXPECT_EQ(patron["ils"], "off");
  EXPECT_EQ(patron["assurance"], "fast");
}

TEST(LibraryLink, AFailedReadKeepsTheArmSoThePatronCanTapAgain) {
  FakeHost h = station();
  ASSERT_EQ(arm(h, "P0001")["ok"], true);
  ASSERT_EQ(h.tap(Card::failed("pin_wrong", "2 tries left", "jpki"), "counter-1"), KAZASU_OK);
  const json refused = h.last("link_refused");
  EXPECT_EQ(refused["reason"], "pin_wrong");
  EXPECT_EQ(refused["patron"], "P0001");
  EXPECT_EQ(refused["message"], "2 tries left");
  EXPECT_FALSE(refused["hint"].get<std::string>().empty());
  EXPECT_FALSE(refused["hint_ja"].get<std::string>().empty());
  ASSERT_EQ(h.tap(Card::jpki("alice", "possession"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(h.last("linked")["patron"], "P0001");
}

TEST(LibraryLink, ATapBelowTheLinkAssuranceIsRefusedAndDisarms) {
  FakeHost h = station();
  ASSERT_EQ(arm(h, "P0001")["ok"], true);
  ASSERT_EQ(h.tap(Card::jpki("alice", "verified"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(h.last("link_refused")["reason"], "assurance_too_low");
  EXPECT_EQ(h.last("link_refused")["assurance"], "verified");
  EXPECT_TRUE(h.all("linked").empty());
  // Disarmed: the next tap is an unknown card, not a link.
  ASSERT_EQ(h.tap(Card::jpki("alice", "possession"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(h.last("unknown_card")["reason"], "not_linked");
  EXPECT_TRUE(h.all("linked").empty());
}

TEST(LibraryLink, AUidCardNeverLinksEvenAtTheLowestSetting) {
  FakeHost h(R"({"counter_reader": "counter-1", "link_min_assurance": "fast"})");
  ASSERT_EQ(arm(h, "P0001")["ok"], true);
  ASSERT_EQ(h.tap(Card::uid("copied-badge"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(h.last("link_refused")["reason"], "assurance_too_low");
  ASSERT_EQ(arm(h, "P0001")["ok"], true);
  ASSERT_EQ(h.tap(Card::freearea("staff-card", "fast"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(h.last("linked")["card_kind"], "freearea");
}

TEST(LibraryLink, ACardLinkedToAnotherPatronIsRefusedWithThatPatronsNumber) {
  FakeHost h = station();
  link(h, "P0001", "alice");
  ASSERT_EQ(arm(h, "P0002")["ok"], true);
  ASSERT_EQ(h.tap(Card::jpki("alice", "possession"), "counter-1"), KAZASU_OK);
  const json refused = h.last("link_refused");
  EXPECT_EQ(refused["reason"], "already_linked");
  EXPECT_EQ(refused["patron"], "P0002");
  EXPECT_EQ(refused["linked_patron"], "P0001");
  ASSERT_EQ(h.tap(Card::jpki("alice"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(h.last("patron")["patron"], "P0001");
}

TEST(LibraryLink, RelinkingAPatronReplacesTheOldCardForGood) {
  FakeHost h = station();
  link(h, "P0001", "old-card");
  const json r = arm(h, "P0001");
  EXPECT_EQ(r["result"]["replaces_card"], true);
  ASSERT_EQ(h.tap(Card::jpki("new-card", "possession"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(h.last("linked")["replaced"], true);
  EXPECT_EQ(h.last("linked")["relinks"], 1);
  ASSERT_EQ(h.tap(Card::jpki("old-card"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(h.last("unknown_card")["reason"], "not_linked");
}

TEST(LibraryLink, AnArmLapsesAfterTheTimeout) {
  FakeHost h = station(R"(, "link_timeout_s": 30)");
  ASSERT_EQ(arm(h, "P0001")["ok"], true);
  h.advance(30'000);
  ASSERT_EQ(h.tap(Card::jpki("alice", "possession"), "counter-1"), KAZASU_OK);
  EXPECT_TRUE(h.all("linked").empty());
  EXPECT_EQ(h.last("unknown_card")["reason"], "not_linked");
}

TEST(LibraryTap, UnknownCardsGetAHintStaffCanActOn) {
  FakeHost h = station();
  const struct {
    Card card;
    const char* reason;
  } cases[] = {
      {Card::jpki("stranger"), "not_linked"},
      {Card::failed("expired", "", "jpki"), "expired"},
      {Card::failed("pin_locked", "", "jpki"), "pin_locked"},
      {Card::failed("read_failed"), "read_failed"},
      {Card::failed("card_not_accepted"), "card_not_accepted"},
      {Card::failed("something_new"), "unreadable"},
  };
  for (const auto& c : cases) {
    ASSERT_EQ(h.tap(c.card, "counter-2"), KAZASU_OK);
    const json u = h.last("unknown_card");
    EXPECT_EQ(u["reason"], c.reason) << c.card.status;
    EXPECT_EQ(u["status"], c.card.status);
    EXPECT_FALSE(u["hint"].get<std::string>().empty());
    EXPECT_FALSE(u["hint_ja"].get<std::string>().empty());
  }
  EXPECT_EQ(h.all("unknown_card").size(), std::size(cases));
}

TEST(LibraryCommands, UnlinkForgetsTheCardAndRefusalsChangeNothing) {
  FakeHost h = station();
  link(h, "P0001", "alice");
  const json r = h.command("unlink", {{"patron", "P0001"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(h.last("unlinked")["patron"], "P0001");
  EXPECT_EQ(h.last("unlinked")["reader"], "");  // a command's outcome has no reader
  const json again = h.command("unlink", {{"patron", "P0001"}});
  EXPECT_EQ(again["ok"], false);
  EXPECT_EQ(again["code"], "not_linked");
  EXPECT_EQ(h.all("unlinked").size(), 1u);
  ASSERT_EQ(h.tap(Card::jpki("alice"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(h.last("unknown_card")["reason"], "not_linked");

  EXPECT_EQ(h.command("link", {{"patron", "P0002"}, {"reader", "door/1"}})["code"], "invalid_reader");
  EXPECT_EQ(h.command("link", {{"patron", "P|2"}})["code"], "invalid_patron");
  EXPECT_EQ(h.command("link", {{"patorn", "P0002"}})["code"], "unknown_field");
  EXPECT_EQ(h.command("renew", json::object())["code"], "unknown_command");
  FakeHost no_counter(R"({"link_min_assurance": "possession"})");
  EXPECT_EQ(no_counter.command("link", {{"patron", "P0002"}})["code"], "no_reader");
}

TEST(LibraryCommands, StatsCountDistinctPatronsAndTheirTapsSeparately) {
  FakeHost h = station();
  link(h, "P0001", "alice");
  link(h, "P0002", "bob");
  for (const char* card : {"alice", "alice", "alice", "bob"})
    ASSERT_EQ(h.tap(Card::jpki(card), "counter-2"), KAZASU_OK);
  const json s = h.command("stats")["result"];
  EXPECT_EQ(s["patrons"], 2);
  EXPECT_EQ(s["patron_taps"], 4);
  EXPECT_EQ(s["taps"], 6);
}

TEST(LibraryLink, ByDefaultLinkingNeedsTheHoldersPin) {
  FakeHost h(R"({"counter_reader": "counter-1"})");  // no link_min_assurance: the default
  ASSERT_EQ(arm(h, "P0001")["ok"], true);
  ASSERT_EQ(h.tap(Card::jpki("alice", "verified"), "counter-1"), KAZASU_OK);
  const json refused = h.last("link_refused");
  EXPECT_EQ(refused["reason"], "assurance_too_low");
  EXPECT_EQ(refused["assurance"], "verified");
  ASSERT_EQ(arm(h, "P0001")["ok"], true);
  ASSERT_EQ(h.tap(Card::jpki("alice", "possession"), "counter-1"), KAZASU_OK);
  EXPECT_EQ(h.last("linked")["patron"], "P0001");
}

TEST(LibraryCommands, StatsCountTapsPerStationDay) {
  FakeHost h = station();
  h.set_now("2027-04-05 23:59");
  link(h, "P0001", "alice");
  ASSERT_EQ(h.tap(Card::jpki("alice"), "counter-2"), KAZASU_OK);
  ASSERT_EQ(h.tap(Card::failed("read_failed"), "counter-2"), KAZASU_OK);
  h.set_now("2027-04-06 00:01");  // a new day at the station, still the 5th in UTC
  ASSERT_EQ(h.tap(Card::jpki("alice"), "counter-2"), KAZASU_OK);

  const json day1 = h.command("stats", {{"day", "2027-04-05"}});
  ASSERT_EQ(day1["ok"], true) << day1.dump();
  EXPECT_EQ(day1["result"]["taps"], 3);
  EXPECT_EQ(day1["result"]["links"], 1);
  EXPECT_EQ(day1["result"]["patrons"], 1);
  EXPECT_EQ(day1["result"]["unknown_cards"], 1);
  const json today = h.command("stats");
  EXPECT_EQ(today["result"]["day"], "2027-04-06");
  EXPECT_EQ(today["result"]["taps"], 1);
  EXPECT_EQ(today["result"]["patrons"], 1);
  EXPECT_EQ(h.command("stats", {{"day", "2027-02-29"}})["code"], "invalid_day");
}

TEST(LibraryPlugin, TheLinkSurvivesARestartOnTheSameDatabase) {
  FakeHost h = station();
  link(h, "P0001", "alice");
  h.restart();
  ASSERT_EQ(h.tap(Card::jpki("alice"), "counter-2"), KAZASU_OK);
  EXPECT_EQ(h.last("patron")["patron"], "P0001");
  EXPECT_TRUE(h.logged("library plugin ready schema=3"));
}

// ---- links shared across branches (ABI 1.3 shared state, on the kit's engine) ----

FakeHost branch(const std::string& name, std::shared_ptr<kazasu::testing::SharedStore> store) {
  kazasu::testing::Options o;
  o.config_json = R"({"counter_reader": "counter-1", "link_min_assurance": "possession"})";
  o.station = "chiba/" + name;
  o.shared = std::move(store);
  return FakeHost(std::move(o));
}

TEST(LibraryShared, ACardLinkedAtOneBranchIsKnownAtEveryBranch) {
  FakeHost a = branch("central", nullptr);
  FakeHost b = branch("east", a.shared());
  FakeHost c = branch("west", a.shared());
  link(a, "P0001", "alice");
  EXPECT_EQ(a.last("linked")["pending_sync"], false);
  for (FakeHost* h : {&b, &c}) {
    ASSERT_EQ(h->tap(Card::jpki("alice"), "counter-2"), KAZASU_OK);
    EXPECT_EQ(h->last("patron")["patron"], "P0001");
  }
}

TEST(LibraryShared, AnUnlinkAtOneBranchIsRefusedAtAnother) {
  FakeHost a = branch("central", nullptr);
  FakeHost c = branch("west", a.shared());
  link(a, "P0001", "alice");
  ASSERT_EQ(c.command("unlink", {{"patron", "P0001"}})["ok"], true);
  ASSERT_EQ(a.tap(Card::jpki("alice"), "counter-2"), KAZASU_OK);
  EXPECT_EQ(a.last("unknown_card")["reason"], "not_linked");
  EXPECT_EQ(a.command("unlink", {{"patron", "P0001"}})["code"], "not_linked");
}

TEST(LibraryShared, ARelinkAtAnotherBranchRetiresTheOldCardEverywhere) {
  FakeHost a = branch("central", nullptr);
  FakeHost b = branch("east", a.shared());
  link(a, "P0001", "alice");
  link(b, "P0001", "alice-renewed");
  EXPECT_EQ(b.last("linked")["replaced"], true);
  ASSERT_EQ(a.tap(Card::jpki("alice"), "counter-2"), KAZASU_OK);
  EXPECT_EQ(a.last("unknown_card")["reason"], "not_linked") << "the old card's index is gone";
  ASSERT_EQ(a.tap(Card::jpki("alice-renewed"), "counter-2"), KAZASU_OK);
  EXPECT_EQ(a.last("patron")["patron"], "P0001");
}

TEST(LibraryShared, ALinkMadeWhileTheEngineIsAwayWorksHereAndReachesTheOthersOnReturn) {
  FakeHost a = branch("central", nullptr);
  FakeHost b = branch("east", a.shared());
  a.set_shared_available(false);
  link(a, "P0001", "alice");
  EXPECT_EQ(a.last("linked")["pending_sync"], true);
  ASSERT_EQ(a.tap(Card::jpki("alice"), "counter-2"), KAZASU_OK);
  EXPECT_EQ(a.last("patron")["patron"], "P0001") << "this branch's copy while the engine is away";
  EXPECT_EQ(a.command("unlink", {{"patron", "P9999"}})["code"], "shared_unavailable");
  a.set_shared_available(true);
  a.advance(30'000);  // the sync timer
  ASSERT_EQ(b.tap(Card::jpki("alice"), "counter-2"), KAZASU_OK);
  EXPECT_EQ(b.last("patron")["patron"], "P0001");
}

TEST(LibraryShared, AConflictFoundOnReturnIsReportedAtBothCountersAndTheSharedLinkWins) {
  FakeHost a = branch("central", nullptr);
  FakeHost b = branch("east", a.shared());
  a.set_shared_available(false);
  link(a, "P0001", "alice");  // here only
  a.set_shared_available(true);
  link(b, "P0002", "alice");  // meanwhile, the same card for another number
  a.advance(30'000);
  const auto here = a.last("link_conflict");
  EXPECT_EQ(here["patron"], "P0001");
  EXPECT_EQ(here["linked_patron"], "P0002");
  b.advance(30'000);
  EXPECT_EQ(b.last("link_conflict")["patron"], "P0001") << "the other counter learns it too";
  b.advance(30'000);
  size_t shown = 0;
  for (const auto& p : b.published()) shown += p.event == "link_conflict" ? 1 : 0;
  EXPECT_EQ(shown, 1u) << "once";
  ASSERT_EQ(a.tap(Card::jpki("alice"), "counter-2"), KAZASU_OK);
  EXPECT_EQ(a.last("patron")["patron"], "P0002");
}

}  // namespace
}  // namespace kazasu::library
