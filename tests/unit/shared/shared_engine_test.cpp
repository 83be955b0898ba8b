// The shared-state engines against the same contract: SQLite (a real file)
// and PostgreSQL (a real cluster started for these tests). Claims are decided
// once across connections, versions guard puts, appends are idempotent.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "postgres.hpp"
#include "process.hpp"
#include "shared/pg_engine.hpp"
#include "shared/shared_service.hpp"
#include "shared/sqlite_engine.hpp"

namespace kazasu::shared {
namespace {

using namespace std::chrono_literals;

// One cluster for the whole file: initdb costs a second or two.
test::Postgres& cluster() {
  static auto* pg = new test::Postgres();  // never destroyed: its watcher stops it when the process exits
  return *pg;
}

class Engines : public ::testing::TestWithParam<std::string> {
 protected:
  // A fresh engine on the same store: another station's connection.
  std::unique_ptr<Engine> open() {
    if (GetParam() == "sqlite") return std::make_unique<SqliteEngine>(dir_.path() / "shared.db");
    return std::make_unique<PgEngine>(PgEngine::Options{cluster().conninfo(), 3000ms, 4});
  }
  // Each test its own plugin name, so tests on one cluster never meet.
  std::string plugin() const {
    return std::string("p_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  test::TempDir dir_;
};

TEST_P(Engines, TheFirstClaimWinsAndTheLoserLearnsTheHolder) {
  auto a = open();
  auto b = open();
  const auto mine = a->claim(plugin(), "voter-1", R"({"station":"A"})", "tap-a", Writer{"city/A", 1000});
  ASSERT_EQ(mine.status, Status::ok) << mine.detail;
  const auto theirs = b->claim(plugin(), "voter-1", R"({"station":"B"})", "tap-b", Writer{"city/B", 2000});
  ASSERT_EQ(theirs.status, Status::exists) << theirs.detail;
  EXPECT_EQ(theirs.record.value, R"({"station":"A"})");
  EXPECT_EQ(theirs.record.station, "city/A");
  EXPECT_EQ(theirs.record.at_unix_ms, 1000);
  EXPECT_EQ(theirs.record.claim_id, "tap-a");
}

TEST_P(Engines, AReleasedClaimCanBeClaimedAgainButOnlyByItsOwnId) {
  auto a = open();
  ASSERT_EQ(a->claim(plugin(), "k", "1", "tap-1", Writer{"city/A", 1}).status, Status::ok);
  EXPECT_EQ(a->release(plugin(), "k", "tap-other"), Status::not_found);
  EXPECT_EQ(a->claim(plugin(), "k", "2", "tap-2", Writer{"city/B", 2}).status, Status::exists);
  EXPECT_EQ(a->release(plugin(), "k", "tap-1"), Status::ok);
  EXPECT_EQ(a->claim(plugin(), "k", "2", "tap-2", Writer{"city/B", 2}).status, Status::ok);
}

TEST_P(Engines, PluginsNeverSeeEachOthersRecords) {
  auto a = open();
  ASSERT_EQ(a->put(plugin() + "_lib", "card", std::string_view("patron-1"), -1, Writer{"city/A", 1}).status,
            Status::ok);
  EXPECT_EQ(a->get(plugin() + "_pts", "card").status, Status::not_found);
  EXPECT_EQ(a->claim(plugin() + "_pts", "card", "x", "t", Writer{"city/A", 1}).status, Status::ok);
}

TEST_P(Engines, VersionsGuardPutsAndDeletes) {
  auto a = open();
  auto b = open();
  const auto first = a->put(plugin(), "card", std::string_view("P1"), 0, Writer{"city/A", 1});
  ASSERT_EQ(first.status, Status::ok) << first.detail;
  EXPECT_EQ(first.record.version, 1);
  EXPECT_EQ(b->put(plugin(), "card", std::string_view("P2"), 0, Writer{"city/B", 2}).status, Status::conflict);
  const auto second = b->put(plugin(), "card", std::string_view("P2"), 1, Writer{"city/B", 2});
  ASSERT_EQ(second.status, Status::ok);
  EXPECT_EQ(second.record.version, 2);
  const auto stale = a->put(plugin(), "card", std::string_view("P3"), 1, Writer{"city/A", 3});
  EXPECT_EQ(stale.status, Status::conflict);
  EXPECT_EQ(stale.record.value, "P2");
  EXPECT_EQ(stale.record.version, 2);
  EXPECT_EQ(a->put(plugin(), "card", std::nullopt, 1, Writer{"city/A", 4}).status, Status::conflict);
  EXPECT_EQ(a->put(plugin(), "card", std::nullopt, 2, Writer{"city/A", 4}).status, Status::ok);
  EXPECT_EQ(b->get(plugin(), "card").status, Status::not_found);
  EXPECT_EQ(a->put(plugin(), "card", std::nullopt, -1, Writer{"city/A", 5}).status, Status::not_found);
  EXPECT_EQ(a->put(plugin(), "gone", std::string_view("x"), 3, Writer{"city/A", 5}).status, Status::not_found);
}

TEST_P(Engines, AppendsAreIdempotentAndSummed) {
  auto a = open();
  auto b = open();
  EXPECT_EQ(a->append(plugin(), "acct", Entry{"visit-1", R"({"rule":"visit"})", 10, "city/A", 1}), Status::ok);
  EXPECT_EQ(b->append(plugin(), "acct", Entry{"visit-1", R"({"rule":"visit"})", 10, "city/B", 2}), Status::exists);
  EXPECT_EQ(b->append(plugin(), "acct", Entry{"visit-1", R"({"rule":"other"})", 10, "city/B", 2}), Status::conflict);
  EXPECT_EQ(b->append(plugin(), "acct", Entry{"donate-1", "{}", -4, "city/B", 3}), Status::ok);
  for (const char* id : {"v0", "v1", "v2", "v3", "v4"}) a->append(plugin(), "acct", Entry{id, "{}", 1, "city/A", 4});
  const auto all = b->entries(plugin(), "acct", 3);
  ASSERT_EQ(all.status, Status::ok) << all.detail;
  EXPECT_EQ(all.sum, 10 - 4 + 5);
  EXPECT_EQ(all.count, 7);
  ASSERT_EQ(all.entries.size(), 3u);
  EXPECT_EQ(all.entries[0].entry_id, "v4") << "newest first";
}

TEST_P(Engines, HeldIdsNameTheEntriesTheEngineHasAlready) {
  auto a = open();
  ASSERT_EQ(a->append(plugin(), "ledger", Entry{"e1", "", 5, "city/A", 1}), Status::ok);
  const auto held = a->held_ids(plugin(), "ledger", {"e1", "e2"});
  ASSERT_TRUE(held);
  EXPECT_EQ(*held, (std::set<std::string>{"e1"}));
  EXPECT_TRUE(a->held_ids(plugin() + "_other", "ledger", {"e1"})->empty());
}

// A station killed after the engine took its entry but before the local
// delete still has the row queued; a read must count the entry once.
TEST(SharedService, ARowTheEngineHasAlreadyIsCountedOnceAfterACrash) {
  test::TempDir dir;
  SharedConfig cfg;
  cfg.sqlite_file = dir.path() / "shared.db";
  Service service(cfg, "city/A", 1);
  service.attach("pts", dir.path() / "pts.db");
  sqlite::Database db(dir.path() / "pts.db", sqlite::Sync::normal);
  db.exec("INSERT INTO kazasu_shared_queue (key, entry_id, body, amount, at_ms) VALUES ('acct', 'e1', '', 10, 1)");
  db.exec("INSERT INTO kazasu_shared_queue (key, entry_id, body, amount, at_ms) VALUES ('acct', 'e2', '', 5, 2)");
  ASSERT_EQ(service.engine().append("pts", "acct", Entry{"e1", "", 10, "city/A", 1}), Status::ok);
  const Entries e = service.entries("pts", db, "acct", 10);
  ASSERT_EQ(e.status, Status::ok);
  EXPECT_EQ(e.sum, 15);
  EXPECT_EQ(e.count, 2);
  ASSERT_EQ(e.entries.size(), 2u);
}

TEST_P(Engines, ClaimsOfAStationAreListedForReconciling) {
  auto a = open();
  a->claim(plugin(), "k1", "v", "tap-1", Writer{"city/A", 1});
  a->claim(plugin(), "k2", "v", "tap-2", Writer{"city/B", 1});
  a->put(plugin(), "k3", std::string_view("v"), -1, Writer{"city/A", 1});
  const auto held = a->claims_of(plugin(), "city/A");
  ASSERT_TRUE(held);
  ASSERT_EQ(held->size(), 1u);
  EXPECT_EQ((*held)[0].key, "k1");
  EXPECT_EQ((*held)[0].claim_id, "tap-1");
  EXPECT_EQ((*held)[0].at_unix_ms, 1);
}

// Two stations submit the same keys at the same moment: exactly one wins each.
TEST_P(Engines, AClaimRaceHasExactlyOneWinnerEveryTime) {
  constexpr int kKeys = 1000;
  auto a = open();
  auto b = open();
  std::atomic<int> go{0};
  std::vector<Status> won_a(kKeys), won_b(kKeys);
  auto race = [&](Engine& e, std::vector<Status>& out, const char* station) {
    for (int i = 0; i < kKeys; ++i) {
      // Start each key together: both threads wait at a shared counter.
      go.fetch_add(1);
      while (go.load() < 2 * (i + 1)) std::this_thread::yield();
      out[static_cast<size_t>(i)] = e.claim(plugin(), "voter-" + std::to_string(i), station,
                                            std::string("tap-") + station + std::to_string(i), Writer{station, i})
                                        .status;
    }
  };
  std::thread ta(race, std::ref(*a), std::ref(won_a), "city/A");
  std::thread tb(race, std::ref(*b), std::ref(won_b), "city/B");
  ta.join();
  tb.join();
  int a_wins = 0;
  for (int i = 0; i < kKeys; ++i) {
    const bool one_winner = (won_a[i] == Status::ok) != (won_b[i] == Status::ok);
    ASSERT_TRUE(one_winner) << "key " << i << ": " << to_string(won_a[i]) << " / " << to_string(won_b[i]);
    ASSERT_TRUE(won_a[i] == Status::exists || won_b[i] == Status::exists) << "key " << i;
    a_wins += won_a[i] == Status::ok ? 1 : 0;
  }
  std::cout << "station A won " << a_wins << " of " << kKeys << " races\n";
}

INSTANTIATE_TEST_SUITE_P(Both, Engines, ::testing::Values("sqlite", "postgresql"));

// ---- PostgreSQL away and back ------------------------------------------------------

TEST(PgEngineOutage, CallsAnswerUnavailableWithinTheDeadlineAndRecover) {
  test::Postgres pg;
  PgEngine engine(PgEngine::Options{pg.conninfo(), 800ms, 4});
  ASSERT_EQ(engine.put("lib", "card", std::string_view("P1"), -1, Writer{"city/A", 1}).status, Status::ok);
  pg.stop();
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = engine.claim("lib", "voter", "x", "tap-1", Writer{"city/A", 2});
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status, Status::unavailable);
  EXPECT_LT(took, 1500ms) << "the deadline bounds the call";
  EXPECT_EQ(engine.get("lib", "card").status, Status::unavailable);
  pg.start();
  const auto back = engine.get("lib", "card");
  ASSERT_EQ(back.status, Status::ok) << back.detail;
  EXPECT_EQ(back.record.value, "P1");
}

TEST(PgEngineOutage, AClaimWhoseAnswerWasLostIsReleasedOnceTheEngineIsBack) {
  test::Postgres pg;
  PgEngine engine(PgEngine::Options{pg.conninfo(), 800ms, 4});
  ASSERT_EQ(engine.get("vote", "warm-up").status, Status::not_found);
  // The claim's answer cannot arrive: the server is frozen mid-call.
  pg.freeze(true);
  EXPECT_EQ(engine.claim("vote", "voter-9", "x", "tap-lost", Writer{"city/A", 1}).status, Status::unavailable);
  pg.freeze(false);
  // The frozen backend may still record the claim when it wakes; the engine
  // keeps releasing it until it is gone.
  bool released = false;
  for (int i = 0; i < 50 && !released; ++i) {
    std::this_thread::sleep_for(100ms);
    released = engine.get("vote", "voter-9").status == Status::not_found;
  }
  EXPECT_TRUE(released);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(engine.get("vote", "voter-9").status, Status::not_found) << "released for good";
  EXPECT_EQ(engine.claim("vote", "voter-9", "y", "tap-next", Writer{"city/B", 2}).status, Status::ok);
}

}  // namespace
}  // namespace kazasu::shared
