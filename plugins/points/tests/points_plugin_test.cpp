// The points plugin through its C ABI on the SDK's testing kit: one or two
// stations on one in-memory shared store, the clock set by the test, the
// engine taken away and brought back.
#include <gtest/gtest.h>

#include <kazasu/testing/fake_host.hpp>

namespace {

using kazasu::testing::Card;
using kazasu::testing::FakeHost;
using kazasu::testing::Options;
using nlohmann::json;

json settings(const std::string& facility = "library") {
  return json{{"facility", facility},
              {"facility_readers", {"hall-1=hall"}},
              {"balance_readers", {"kiosk"}},
              {"register_reader", "counter"},
              {"rules", {"facility=library points=10 per_day=1", "facility=hall points=10 per_day=1"}},
              {"events", {"event=cleanup facility=hall points=100 from=2027-07-01T09:00 to=2027-07-01T17:00"}},
              {"prizes", {"prize=towel cost=30 stock=1", "prize=draw-2027 cost=200 kind=draw"}},
              {"projects", {"project=tower-wifi target=100 from=2027-04-01 to=2027-06-30"}},
              {"yearly_cap", 300},
              {"sync_interval_s", 5}};
}

Options station(const std::string& name, const json& config,
                const std::shared_ptr<kazasu::testing::SharedStore>& store = nullptr) {
  Options o;
  o.config_json = config.dump();
  o.station = "test/" + name;
  o.shared = store;
  return o;
}

std::string token(const std::string& card) {
  return FakeHost::token_of(card);
}

void enrol(FakeHost& host, const std::string& card) {
  const json r = host.command("register", {{"token", token(card)}, {"consent", true}});
  ASSERT_EQ(r["ok"], true) << r.dump();
}

int64_t balance(FakeHost& host, const std::string& card) {
  const json r = host.command("balance", {{"token", token(card)}});
  if (r["ok"] != true) throw std::runtime_error(r.dump());
  return r["result"]["balance"].get<int64_t>();
}

TEST(PointsKit, RegistrationNeedsConsentAndAnArmedReaderRegistersTheNextCard) {
  FakeHost host(settings().dump());
  EXPECT_EQ(host.command("register", {{"token", token("alice")}})["code"], "consent_required");
  EXPECT_EQ(host.command("register", {{"token", token("alice")}, {"consent", false}})["code"], "consent_required");
  EXPECT_EQ(host.command("register", {{"token", "ABC"}, {"consent", true}})["code"], "invalid_token");
  EXPECT_EQ(host.command("register", {{"tokn", token("alice")}, {"consent", true}})["code"], "unknown_field");

  const json armed = host.command("register", {{"consent", true}, {"consent_method", "paper"}});
  ASSERT_EQ(armed["ok"], true) << armed.dump();
  EXPECT_EQ(armed["result"]["reader"], "counter");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "counter"), KAZASU_OK);
  const json reg = host.last("registered");
  EXPECT_EQ(reg["token"], token("alice"));
  EXPECT_EQ(reg["consent_method"], "paper");
  EXPECT_EQ(reg["chime"], "registered");
  // The arm is spent: the same card on the counter now earns a visit.
  ASSERT_EQ(host.tap(Card::jpki("alice"), "counter"), KAZASU_OK);
  EXPECT_EQ(host.last("award")["awarded"], 10);
  EXPECT_EQ(host.command("register", {{"token", token("alice")}, {"consent", true}})["code"], "already_registered");
}

TEST(PointsKit, AnUnregisteredCardGetsNoPointsAndNoIdentifierIsPublished) {
  FakeHost host(settings().dump());
  ASSERT_EQ(host.tap(Card::jpki("stranger"), "gate"), KAZASU_OK);
  const json u = host.last("unknown_card");
  EXPECT_EQ(u["reason"], "not_registered");
  EXPECT_EQ(u["chime"], "refused");
  EXPECT_EQ(u.dump().find(token("stranger")), std::string::npos) << u.dump();
  EXPECT_TRUE(host.all("award").empty());
}

TEST(PointsKit, TheDailyLimitHoldsUntilStationMidnight) {
  FakeHost host(settings().dump());
  enrol(host, "alice");
  host.set_now("2027-04-05 23:58");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  EXPECT_EQ(host.last("award")["awarded"], 10);
  host.set_now("2027-04-05 23:59");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  EXPECT_EQ(host.last("refused")["reason"], "daily_limit");
  // Another facility of the same station is another limit.
  ASSERT_EQ(host.tap(Card::jpki("alice"), "hall-1"), KAZASU_OK);
  EXPECT_EQ(host.last("award")["facility"], "hall");
  host.set_now("2027-04-06 00:00");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  EXPECT_EQ(host.last("award")["balance"], 30);
  EXPECT_EQ(balance(host, "alice"), 30);
}

TEST(PointsKit, TheYearlyCapResetsOnTheFirstDayOfTheFiscalYear) {
  json s = settings();
  s["yearly_cap"] = 25;
  FakeHost host(s.dump());
  enrol(host, "alice");
  host.set_now("2028-03-29 10:00");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  host.set_now("2028-03-30 10:00");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  host.set_now("2028-03-31 23:59");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  const json capped = host.last("award");
  EXPECT_EQ(capped["awarded"], 5) << "the cap's remainder, not the rule's 10";
  EXPECT_EQ(capped["capped"], true);
  ASSERT_EQ(host.tap(Card::jpki("alice"), "hall-1"), KAZASU_OK);
  EXPECT_EQ(host.last("refused")["reason"], "yearly_cap");
  host.set_now("2028-04-01 00:00");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  const json fresh = host.last("award");
  EXPECT_EQ(fresh["awarded"], 10);
  EXPECT_EQ(fresh["fiscal_year"], 2028);
  EXPECT_EQ(fresh["fy_earned"], 10);
  EXPECT_EQ(balance(host, "alice"), 35);
}

TEST(PointsKit, AnEventBonusCountsFromItsStartAndNotAtItsEnd) {
  FakeHost host(settings().dump());
  for (const char* c : {"a", "b", "c"}) enrol(host, c);
  host.set_now("2027-07-01 08:59");
  ASSERT_EQ(host.tap(Card::jpki("a"), "hall-1"), KAZASU_OK);
  EXPECT_EQ(host.last("award")["awarded"], 10);
  host.set_now("2027-07-01 09:00");
  ASSERT_EQ(host.tap(Card::jpki("b"), "hall-1"), KAZASU_OK);
  EXPECT_EQ(host.last("award")["awarded"], 110);
  EXPECT_EQ(host.last("award")["parts"][1]["event"], "cleanup");
  host.set_now("2027-07-01 17:00");
  ASSERT_EQ(host.tap(Card::jpki("c"), "hall-1"), KAZASU_OK);
  EXPECT_EQ(host.last("award")["awarded"], 10);
  // The bonus is once per account and event: b again the next minute earns nothing more.
  host.set_now("2027-07-01 09:01");
  ASSERT_EQ(host.tap(Card::jpki("b"), "gate"), KAZASU_OK);
  EXPECT_EQ(host.last("award")["awarded"], 10);
}

TEST(PointsKit, RedeemKeepsStockAndARepeatedRequestCountsOnce) {
  FakeHost host(settings().dump());
  enrol(host, "alice");
  for (int d = 5; d <= 9; ++d) {
    host.set_now("2027-04-0" + std::to_string(d) + " 10:00");
    ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  }
  ASSERT_EQ(balance(host, "alice"), 50);
  const json first = host.command("redeem", {{"token", token("alice")}, {"prize", "towel"}, {"request_id", "r-1"}});
  ASSERT_EQ(first["ok"], true) << first.dump();
  EXPECT_EQ(first["result"]["stock_left"], 0);
  const json again = host.command("redeem", {{"token", token("alice")}, {"prize", "towel"}, {"request_id", "r-1"}});
  EXPECT_EQ(again["result"]["repeated"], true);
  EXPECT_EQ(balance(host, "alice"), 20);
  enrol(host, "bob");
  EXPECT_EQ(host.command("redeem", {{"token", token("alice")}, {"prize", "towel"}, {"request_id", "r-2"}})["code"],
            "insufficient_points");
  EXPECT_EQ(host.command("redeem", {{"token", token("alice")}, {"prize", "draw-2027"}, {"request_id", "r-1"}})["code"],
            "request_id_reused");
  EXPECT_EQ(host.command("redeem", {{"token", token("alice")}, {"prize", "mug"}, {"request_id", "r-3"}})["code"],
            "unknown_prize");
}

TEST(PointsKit, ADonationPastTheTargetTakesOnlyWhatIsStillNeeded) {
  json s = settings();
  s["rules"] = {"facility=library points=80 per_day=1"};
  FakeHost host(s.dump());
  enrol(host, "alice");
  enrol(host, "bob");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  ASSERT_EQ(host.tap(Card::jpki("bob"), "gate"), KAZASU_OK);
  const json a = host.command(
      "donate", {{"token", token("alice")}, {"project", "tower-wifi"}, {"points", 70}, {"request_id", "d1"}});
  ASSERT_EQ(a["ok"], true) << a.dump();
  // Request ids are each resident's own: bob's "d1" is not alice's.
  const json b = host.command(
      "donate", {{"token", token("bob")}, {"project", "tower-wifi"}, {"points", 50}, {"request_id", "d1"}});
  ASSERT_EQ(b["ok"], true) << b.dump();
  EXPECT_EQ(b["result"]["donated"], 30);
  EXPECT_EQ(b["result"]["reached"], true);
  EXPECT_EQ(b["result"]["balance"], 50);
  const json projects = host.retained("projects");
  EXPECT_EQ(projects["projects"][0]["raised"], 100);
  EXPECT_EQ(projects["projects"][0]["status"], "reached");
  EXPECT_EQ(
      host.command("donate",
                   {{"token", token("bob")}, {"project", "tower-wifi"}, {"points", 1}, {"request_id", "d3"}})["code"],
      "target_reached");
  // The same request again answers the same, moving nothing.
  const json again = host.command(
      "donate", {{"token", token("bob")}, {"project", "tower-wifi"}, {"points", 50}, {"request_id", "d1"}});
  EXPECT_EQ(again["result"]["repeated"], true);
  EXPECT_EQ(balance(host, "bob"), 50);
}

TEST(PointsKit, AProjectEndingShortRefundsItsDonors) {
  FakeHost host(settings().dump());
  enrol(host, "alice");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  ASSERT_EQ(
      host.command("donate",
                   {{"token", token("alice")}, {"project", "tower-wifi"}, {"points", 10}, {"request_id", "d1"}})["ok"],
      true);
  EXPECT_EQ(balance(host, "alice"), 0);
  host.set_now("2027-07-01 00:10");  // fires the sync timer
  const json closed = host.last("project_closed");
  EXPECT_EQ(closed["outcome"], "refunded");
  EXPECT_EQ(closed["refunded"], 10);
  EXPECT_EQ(balance(host, "alice"), 10);
  EXPECT_EQ(host.command("check")["result"]["trial_balance"], 0);
}

TEST(PointsKit, ASuspendedAccountEarnsNothingUntilResumedAndAClosedOneIsForfeited) {
  FakeHost host(settings().dump());
  enrol(host, "alice");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  ASSERT_EQ(host.command("suspend", {{"token", token("alice")}})["result"]["status"], "suspended");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "hall-1"), KAZASU_OK);
  EXPECT_EQ(host.last("refused")["reason"], "account_suspended");
  EXPECT_EQ(host.command("redeem", {{"token", token("alice")}, {"prize", "towel"}, {"request_id", "x"}})["code"],
            "account_suspended");
  ASSERT_EQ(host.command("resume", {{"token", token("alice")}})["result"]["status"], "active");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "hall-1"), KAZASU_OK);
  EXPECT_EQ(host.last("award")["balance"], 20);
  const json closed = host.command("close", {{"token", token("alice")}});
  ASSERT_EQ(closed["ok"], true) << closed.dump();
  EXPECT_EQ(closed["result"]["balance_moved"], 20);
  EXPECT_EQ(closed["result"]["to"], "forfeit");
  EXPECT_EQ(balance(host, "alice"), 0);
  const json check = host.command("check");
  EXPECT_EQ(check["result"]["ok"], true) << check.dump();
}

TEST(PointsKit, AnOfflineAwardThatBrokeTheDailyLimitIsCorrectedOnceItReachesTheEngine) {
  auto store = std::make_shared<kazasu::testing::SharedStore>();
  FakeHost a(station("branch-a", settings(), store));
  FakeHost b(station("branch-b", settings(), store));
  enrol(a, "alice");
  // b has seen the account on an earlier day, so it can award while offline.
  b.set_now("2027-04-04 10:00");
  ASSERT_EQ(b.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  a.set_now("2027-04-05 09:00");
  ASSERT_EQ(a.tap(Card::jpki("alice"), "gate"), KAZASU_OK);  // the library visit of the day, online
  b.set_shared_available(false);
  b.set_now("2027-04-05 10:00");
  ASSERT_EQ(b.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  const json offline = b.last("award");
  EXPECT_EQ(offline["offline"], true);
  EXPECT_EQ(offline["balance_provisional"], true);
  b.set_shared_available(true);
  ASSERT_GT(b.replay_shared(), 0u);
  EXPECT_EQ(b.pending_shared(), 0u);
  b.advance(10'000);
  const json fix = b.last("cap_corrected");
  EXPECT_EQ(fix["rule"], "daily_limit");
  EXPECT_EQ(fix["corrected"], 10);
  EXPECT_EQ(fix["balance"], 20);
  EXPECT_EQ(balance(a, "alice"), 20);
  // Once: the next sync finds nothing more to correct.
  b.advance(10'000);
  EXPECT_EQ(b.all("cap_corrected").size(), 1u);
  EXPECT_EQ(a.command("check")["result"]["trial_balance"], 0);
}

TEST(PointsKit, AnOfflineAwardPastTheYearlyCapKeepsOnlyTheRemainder) {
  auto store = std::make_shared<kazasu::testing::SharedStore>();
  json s = settings();
  s["yearly_cap"] = 25;
  FakeHost a(station("branch-a", s, store));
  FakeHost b(station("branch-b", s, store));
  enrol(a, "alice");
  b.set_now("2027-04-04 10:00");
  ASSERT_EQ(b.tap(Card::jpki("alice"), "gate"), KAZASU_OK);  // 10, seen at b
  a.set_now("2027-04-05 09:00");
  ASSERT_EQ(a.tap(Card::jpki("alice"), "gate"), KAZASU_OK);  // 20, online
  b.set_shared_available(false);
  b.set_now("2027-04-05 10:00");
  ASSERT_EQ(b.tap(Card::jpki("alice"), "hall-1"), KAZASU_OK);  // b believes 10 of 25 are earned
  EXPECT_EQ(b.last("award")["awarded"], 10);
  b.set_shared_available(true);
  ASSERT_GT(b.replay_shared(), 0u);
  b.advance(10'000);
  const json fix = b.last("cap_corrected");
  EXPECT_EQ(fix["rule"], "yearly_cap");
  EXPECT_EQ(fix["kept"], 5);
  EXPECT_EQ(fix["corrected"], 5);
  EXPECT_EQ(balance(a, "alice"), 25);
  EXPECT_EQ(a.command("balance", {{"token", token("alice")}})["result"]["fy_earned"], 25);
}

TEST(PointsKit, RegistrationIsRefusedWhileTheEngineIsAway) {
  FakeHost host(settings().dump());
  host.set_shared_available(false);
  EXPECT_EQ(host.command("register", {{"token", token("alice")}, {"consent", true}})["code"], "unavailable");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  EXPECT_EQ(host.last("unknown_card")["reason"], "unconfirmed_offline");
}

TEST(PointsKit, TheMonthlyReportCountsVisitsAndParticipantsWithoutTokens) {
  FakeHost host(settings().dump());
  enrol(host, "alice");
  enrol(host, "bob");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  ASSERT_EQ(host.tap(Card::jpki("bob"), "gate"), KAZASU_OK);
  ASSERT_EQ(host.tap(Card::jpki("bob"), "hall-1"), KAZASU_OK);
  const json r = host.command("report", {{"month", "2027-04"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["visits"], 3);
  EXPECT_EQ(r["result"]["participants"]["library"], 2);
  const std::string csv = r["result"]["csv"];
  EXPECT_NE(csv.find("2027-04-05,library,,visit,2,20,2\r\n"), std::string::npos) << csv;
  EXPECT_EQ(csv.find(token("alice")), std::string::npos);
  EXPECT_EQ(host.command("report", {{"month", "2027-13"}})["code"], "invalid_month");
}

TEST(PointsKit, ABalanceReaderAnswersTheBalanceWithTheLastEntries) {
  FakeHost host(settings().dump());
  enrol(host, "alice");
  ASSERT_EQ(host.tap(Card::jpki("alice"), "gate"), KAZASU_OK);
  ASSERT_EQ(host.tap(Card::jpki("alice"), "kiosk"), KAZASU_OK);
  const json b = host.last("balance");
  EXPECT_EQ(b["balance"], 10);
  EXPECT_EQ(b["history"][0]["kind"], "visit");
  EXPECT_EQ(b["history"][0]["ref"], "facility:library");
  EXPECT_EQ(host.all("award").size(), 1u);
}

}  // namespace
