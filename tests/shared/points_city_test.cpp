// The points plugin at several facilities of one city, through real kazasud
// processes, a real mosquitto and a real PostgreSQL cluster: one account
// earns at every facility, the caps hold across midnight and the fiscal year,
// prizes and projects are shared, an offline facility's award that broke a
// limit is corrected when its link returns, and the ledger and the balances
// agree after a station is killed in the middle of a burst of taps.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <set>
#include <thread>

#include "city.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct Facility {
  std::string station;
  std::string facility;
};

class PointsCity : public test::CityTest {
 protected:
  void SetUp() override {
    setenv("TZ", "Asia/Tokyo", 1);  // the stations' day and fiscal year are Japan's
    CityTest::SetUp();
    pc_ = std::make_unique<test::Subscriber>(broker_->uri(), "kazasu/v1/#");
  }

  /** Station `name` at `facility`, with the city's rules and cards; `extra` adds plugin settings. */
  // Appends are local first: wait until `station`'s have reached the cluster, so
  // another station's read sees them (what a resident sees a moment later anyway).
  void settled(const std::string& station) {
    for (int i = 0; i < 100 && stations_.at(station)->status()["shared"]["queued_entries"] != 0; ++i) {
      std::this_thread::sleep_for(50ms);
    }
  }
  test::Daemon& open(const std::string& name, const std::string& facility, const std::string& extra = "",
                     int deadline_ms = 1500, const std::string& library_per_day = "3") {
    return CityTest::start(
        name,
        "[plugins.points]\n[plugins.points.config]\nfacility = \"" + facility +
            "\"\nregister_reader = \"counter-1\"\nbalance_readers = [\"kiosk\"]\n"
            "rules = [\"facility=library points=10 per_day=" +
            library_per_day +
            "\", \"facility=hall points=10 per_day=1\","
            " \"facility=plaza points=10 per_day=100\"]\n"
            "events = [\"event=cleanup facility=hall points=100 from=2027-07-01T09:00 to=2027-07-01T17:00\"]\n"
            "prizes = [\"prize=towel cost=30 stock=1\", \"prize=draw-2027 cost=200 kind=draw\"]\n"
            "projects = [\"project=tower-wifi target=100 from=2027-04-01 to=2027-09-30\"]\n"
            "sync_interval_s = 1\n" +
            extra +
            "\n[readers.counter-1]\ndriver = \"sim\"\nplugins = [\"points\"]\naccept = [\"jpki\", \"freearea\"]\n"
            "\n[readers.kiosk]\ndriver = \"sim\"\nplugins = [\"points\"]\naccept = [\"jpki\", \"freearea\"]\n"
            "\n[sim.cards.alice]\nkind = \"jpki\"\nserial = \"0x1A2B3C4D\"\n"
            "\n[sim.cards.bob]\nkind = \"jpki\"\nserial = \"0x5E6F7A8B\"\n"
            "\n[sim.cards.carol]\nkind = \"freearea\"\naid = \"F04B415A41535501\"\nid = \"SUKUMO-000301\"\n"
            "\n[sim.cards.stranger]\nkind = \"jpki\"\nserial = \"0x0BADCAFE\"\n"
            "\n[diagnostics]\nsettable_clock = true\n",
        deadline_ms);
  }

  void clock(const std::string& station, const std::string& rfc3339) {
    std::string out;
    ASSERT_EQ(test::run({test::kazasuctl_path(), "--socket", (stations_.at(station)->dir() / "control.sock").string(),
                         "clock", "set", rfc3339},
                        out),
              0)
        << out;
  }

  json call(const std::string& station, const std::string& cmd, const json& payload) {
    return reply(*pc_, station, "points", cmd, payload);
  }

  json next(const std::string& station, const std::string& event, std::chrono::milliseconds wait = 10s) {
    auto m = pc_->next(station + "/points/" + event, wait);
    if (!m) throw std::runtime_error("no points/" + event + " from " + station + "\n" + stations_.at(station)->log());
    return json::parse(m->payload);
  }

  json tap(const std::string& station, const std::string& card, const std::string& event,
           const std::string& reader = "counter-1") {
    stations_.at(station)->tap(reader, card);
    return next(station, event);
  }

  /** Registers `card` at `station` through the armed counter reader; returns its token. */
  std::string enrol(const std::string& station, const std::string& card) {
    const json armed = call(station, "register", {{"consent", true}, {"consent_method", "counter"}});
    if (armed["ok"] != true) throw std::runtime_error(armed.dump());
    const json r = tap(station, card, "registered");
    return r["token"].get<std::string>();
  }

  int64_t balance(const std::string& station, const std::string& token) {
    const json r = call(station, "balance", {{"token", token}});
    if (r["ok"] != true) throw std::runtime_error(r.dump());
    return r["result"]["balance"].get<int64_t>();
  }

  /** The engine's own sum over every points entry: zero when every movement arrived whole. */
  int64_t engine_sum() {
    return std::stoll(sql("SELECT COALESCE(SUM(amount), 0) FROM kazasu.shared_entries WHERE plugin = 'points'"));
  }
  /** One value from the city's cluster, without psql's line end. */
  std::string sql(const std::string& statement) {
    std::string out = pg_.sql(statement);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

  std::unique_ptr<test::Subscriber> pc_;
};

TEST_F(PointsCity, OneAccountEarnsAtEveryFacilityWithinTheDailyLimitAndTheYearlyCap) {
  open("library", "library", "yearly_cap = 30\n");
  open("hall", "hall", "yearly_cap = 30\n");
  clock("library", "2028-03-31T23:50:00+09:00");
  clock("hall", "2028-03-31T23:50:00+09:00");
  const std::string alice = enrol("library", "alice");

  // Registered at the library, known at the hall.
  json a = tap("hall", "alice", "award");
  EXPECT_EQ(a["token"], alice);
  EXPECT_EQ(a["awarded"], 10);
  EXPECT_EQ(a["chime"], "award");
  EXPECT_EQ(a["offline"], false);
  EXPECT_EQ(tap("hall", "alice", "refused")["reason"], "daily_limit");
  settled("hall");
  EXPECT_EQ(tap("library", "alice", "award")["balance"], 20);
  EXPECT_EQ(tap("library", "alice", "award")["balance"], 30);
  const json capped = tap("library", "alice", "refused");
  EXPECT_EQ(capped["reason"], "yearly_cap") << capped.dump();
  EXPECT_EQ(capped["fy_earned"], 30);

  // Midnight starts a new day and, on April 1st, a new fiscal year.
  settled("library");
  clock("library", "2028-04-01T00:00:00+09:00");
  clock("hall", "2028-04-01T00:00:00+09:00");
  a = tap("hall", "alice", "award");
  EXPECT_EQ(a["fiscal_year"], 2028);
  EXPECT_EQ(a["fy_earned"], 10);
  EXPECT_EQ(a["balance"], 40);

  // The balance reader answers instead of awarding.
  settled("hall");
  const json b = tap("library", "alice", "balance", "kiosk");
  EXPECT_EQ(b["balance"], 40);
  EXPECT_EQ(b["history"][0]["ref"], "facility:hall");

  // A card with no account: no points, and nothing that names it.
  const json u = tap("hall", "stranger", "unknown_card");
  EXPECT_EQ(u["reason"], "not_registered");
  EXPECT_FALSE(u.contains("token"));

  // Suspended at the hall, refused at the library; resumed, earning again.
  ASSERT_EQ(call("hall", "suspend", {{"token", alice}})["result"]["status"], "suspended");
  EXPECT_EQ(tap("library", "alice", "refused")["reason"], "account_suspended");
  ASSERT_EQ(call("library", "resume", {{"token", alice}})["result"]["status"], "active");
  EXPECT_EQ(tap("library", "alice", "award")["balance"], 50);
  EXPECT_EQ(call("hall", "history", {{"token", alice}, {"limit", 2}})["result"]["history"].size(), 2u);

  // An armed counter refuses a card that has an account already.
  ASSERT_EQ(call("hall", "register", {{"consent", true}})["ok"], true);
  EXPECT_EQ(tap("hall", "alice", "register_refused")["reason"], "already_registered");
  // Closed at the library: the balance is forfeited by the city's rule, and the hall refuses the card.
  const json closed = call("library", "close", {{"token", alice}});
  ASSERT_EQ(closed["ok"], true) << closed.dump();
  EXPECT_EQ(closed["result"]["balance_moved"], 50);
  EXPECT_EQ(closed["result"]["to"], "forfeit");
  EXPECT_EQ(tap("hall", "alice", "refused")["reason"], "account_closed");
  EXPECT_EQ(balance("hall", alice), 0);
  EXPECT_EQ(engine_sum(), 0);
}

TEST_F(PointsCity, EventEdgesSharedStockAndADonationPastTheTarget) {
  open("library", "library");
  open("hall", "hall");
  clock("library", "2027-07-01T08:50:00+09:00");
  const std::string alice = enrol("library", "alice");
  const std::string bob = enrol("library", "bob");
  const std::string carol = enrol("library", "carol");

  // The clean-up's bonus counts from 09:00 up to, not including, 17:00.
  clock("hall", "2027-07-01T08:59:00+09:00");
  EXPECT_EQ(tap("hall", "alice", "award")["awarded"], 10);
  clock("hall", "2027-07-01T09:00:00+09:00");
  const json bonus = tap("hall", "bob", "award");
  EXPECT_EQ(bonus["awarded"], 110);
  EXPECT_EQ(bonus["parts"][1]["event"], "cleanup");
  clock("hall", "2027-07-01T17:00:00+09:00");
  EXPECT_EQ(tap("hall", "carol", "award")["awarded"], 10);

  // One towel in the whole city: bob takes it at the hall, the library has none left.
  json r = call("hall", "redeem", {{"token", bob}, {"prize", "towel"}, {"request_id", "app-1001"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["stock_left"], 0);
  r = call("library", "redeem", {{"token", bob}, {"prize", "towel"}, {"request_id", "app-1002"}});
  EXPECT_EQ(r["error"]["code"], "out_of_stock") << r.dump();
  // The app sent app-1001 again (its reply was lost): the same answer, nothing moved, at either station.
  EXPECT_EQ(
      call("hall", "redeem", {{"token", bob}, {"prize", "towel"}, {"request_id", "app-1001"}})["result"]["repeated"],
      true);
  EXPECT_EQ(
      call("library", "redeem", {{"token", bob}, {"prize", "towel"}, {"request_id", "app-1001"}})["result"]["repeated"],
      true);
  EXPECT_EQ(balance("library", bob), 80);

  // The project needs 100: alice gives 10, carol 10, then bob offers 100 of which 80 are taken.
  json r2 = call("library", "donate",
                 {{"token", alice}, {"project", "tower-wifi"}, {"points", 10}, {"request_id", "app-2001"}});
  ASSERT_EQ(r2["ok"], true) << r2.dump();
  EXPECT_EQ(
      call("library", "donate",
           {{"token", alice}, {"project", "tower-wifi"}, {"points", 5}, {"request_id", "app-2002"}})["error"]["code"],
      "insufficient_points");
  ASSERT_EQ(call("hall", "donate",
                 {{"token", carol}, {"project", "tower-wifi"}, {"points", 10}, {"request_id", "app-2003"}})["ok"],
            true);
  r2 = call("library", "donate",
            {{"token", bob}, {"project", "tower-wifi"}, {"points", 100}, {"request_id", "app-2004"}});
  ASSERT_EQ(r2["ok"], true) << r2.dump();
  EXPECT_EQ(r2["result"]["donated"], 80);
  EXPECT_EQ(r2["result"]["raised"], 100);
  EXPECT_EQ(r2["result"]["reached"], true);
  json progress;
  for (int i = 0; i < 20; ++i) {
    progress = next("library", "projects");
    if (progress["projects"][0]["raised"] == 100) break;
  }
  EXPECT_EQ(progress["projects"][0]["raised"], 100);
  EXPECT_EQ(progress["projects"][0]["status"], "reached");
  EXPECT_EQ(
      call("hall", "donate",
           {{"token", bob}, {"project", "tower-wifi"}, {"points", 5}, {"request_id", "app-2005"}})["error"]["code"],
      "target_reached");
  // Sent again: the same answer, nothing moved.
  EXPECT_EQ(call("hall", "donate",
                 {{"token", bob}, {"project", "tower-wifi"}, {"points", 100}, {"request_id", "app-2004"}})["result"]
                                                                                                          ["repeated"],
            true);
  EXPECT_EQ(balance("hall", bob), 0);

  // The monthly report: counts, no tokens.
  const json report = call("hall", "report", {{"month", "2027-07"}});
  ASSERT_EQ(report["ok"], true) << report.dump();
  EXPECT_EQ(report["result"]["visits"], 3);
  EXPECT_EQ(report["result"]["participants"]["hall"], 3);
  EXPECT_EQ(report["result"]["csv"].get<std::string>().find(bob), std::string::npos);
  const json check = call("library", "check", json::object());
  EXPECT_EQ(check["result"]["ok"], true) << check.dump();
  EXPECT_EQ(check["result"]["trial_balance"], 0);
  EXPECT_EQ(engine_sum(), 0);
}

TEST_F(PointsCity, AnOfflineFacilityBreakingTheDailyLimitIsCorrectedWhenItsLinkReturns) {
  // One library visit a day, at either branch.
  open("central", "library", "", 500, "1");
  open("east", "library", "", 500, "1");
  clock("central", "2027-05-10T10:00:00+09:00");
  clock("east", "2027-05-10T10:00:00+09:00");
  const std::string alice = enrol("central", "alice");
  EXPECT_EQ(tap("east", "alice", "award")["balance"], 10);  // east has now seen the account

  clock("central", "2027-05-11T09:00:00+09:00");
  clock("east", "2027-05-11T10:00:00+09:00");
  EXPECT_EQ(tap("central", "alice", "award")["balance"], 20);
  pg_.stop();
  const json offline = tap("east", "alice", "award");
  EXPECT_EQ(offline["offline"], true);
  EXPECT_EQ(offline["balance_provisional"], true);
  const std::string offline_tap = offline["id"];
  pg_.start();

  const json fix = next("east", "cap_corrected", 30s);
  EXPECT_EQ(fix["rule"], "daily_limit") << fix.dump();
  EXPECT_EQ(fix["tap_id"], offline_tap);
  EXPECT_EQ(fix["corrected"], 10);
  EXPECT_EQ(fix["balance"], 20);
  EXPECT_EQ(balance("central", alice), 20);
  // The replayed award and its correction are on the engine once each.
  EXPECT_EQ(sql("SELECT COUNT(*) FROM kazasu.shared_entries WHERE plugin = 'points' AND entry_id LIKE 'tap:" +
                offline_tap + ":%'"),
            "4");
  EXPECT_FALSE(pc_->next("east/points/cap_corrected", 2500ms)) << "corrected twice";
  EXPECT_EQ(call("east", "check", json::object())["result"]["trial_balance"], 0);
  EXPECT_EQ(engine_sum(), 0);
}

TEST_F(PointsCity, LedgerAndBalancesAgreeAfterKazasudIsKilledMidBurst) {
  test::Daemon& plaza = open("plaza", "plaza", "yearly_cap = 0\n");
  clock("plaza", "2027-08-01T10:00:00+09:00");
  const std::string alice = enrol("plaza", "alice");

  std::atomic<bool> stop{false};
  std::thread burst([&] {
    for (int i = 0; i < 60 && !stop; ++i) {
      try {
        plaza.tap("counter-1", "alice");
      } catch (const std::exception&) {
        return;  // the daemon is gone
      }
    }
  });
  std::set<std::string> awarded;
  while (awarded.size() < 8) {
    auto m = pc_->next("plaza/points/award", 10s);
    ASSERT_TRUE(m) << plaza.log();
    awarded.insert(json::parse(m->payload)["id"].get<std::string>());
  }
  plaza.stop(SIGKILL, 5s);
  stop = true;
  burst.join();
  plaza.restart();
  wait_online("plaza");

  // Every award the station committed is published (the outbox keeps them), and each is in the ledger once.
  json check;
  for (int i = 0; i < 50; ++i) {
    check = call("plaza", "check", json::object());
    ASSERT_EQ(check["ok"], true) << check.dump();
    if (check["result"]["pending"] == 0 && check["result"]["ok"] == true) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(check["result"]["ok"], true) << check.dump();
  EXPECT_EQ(check["result"]["trial_balance"], 0);
  const int64_t awards = check["result"]["awards_here"].get<int64_t>();
  EXPECT_LT(awards, 60) << "the burst ended before the kill";
  while (static_cast<int64_t>(awarded.size()) < awards) {
    auto m = pc_->next("plaza/points/award", 10s);
    ASSERT_TRUE(m) << "awards published " << awarded.size() << " of " << awards;
    awarded.insert(json::parse(m->payload)["id"].get<std::string>());
  }
  EXPECT_EQ(static_cast<int64_t>(awarded.size()), awards);
  EXPECT_EQ(balance("plaza", alice), 10 * awards);
  EXPECT_EQ(sql("SELECT COUNT(*) FROM kazasu.shared_entries WHERE plugin = 'points' AND key = 'account:" + alice + "'"),
            std::to_string(awards));
  EXPECT_EQ(engine_sum(), 0);
}

}  // namespace
}  // namespace kazasu
