// Nothing lost on the way out, with the real parts: a real mosquitto that is
// stopped and restarted, a real kazasud that is SIGKILLed mid-burst, and the
// example plugin's SQLite ledger as the witness of what was committed.
#include <gtest/gtest.h>

#include <signal.h>
#include <sqlite3.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "broker.hpp"
#include "daemon.hpp"
#include "process.hpp"
#include "subscriber.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kExtra = test::kExampleStation;

// Sum of the example plugin's per-token counters: how many taps it committed.
int64_t committed_taps(const std::filesystem::path& db_file) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + db_file.string());
  }
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT coalesce(sum(taps), 0) FROM taps_per_token", -1, &st, nullptr);
  const int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

// Collects example/seen ids in arrival order until `want` distinct ones came.
struct Collected {
  std::vector<std::string> order;  // every arrival, repeats included
  std::set<std::string> distinct;
  int broker_redeliveries = 0;  // the broker's own resends to this subscriber (DUP set)
};
void collect(test::Subscriber& sub, Collected& c, size_t want, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (c.distinct.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto m = sub.next("/example/seen", 500ms);
    if (!m) continue;
    const std::string id = json::parse(m->payload)["id"];
    // The broker resends to a subscriber whose PUBACK it lost when it stopped;
    // that is its leg of QoS 1, not a second publish by kazasud.
    if (m->duplicate && c.distinct.count(id) != 0) {
      ++c.broker_redeliveries;
      continue;
    }
    c.order.push_back(id);
    c.distinct.insert(id);
  }
}

// The broker's PUBACK can reach kazasud a moment after the subscriber got the message.
bool queue_drains(test::Daemon& daemon) {
  for (int i = 0; i < 100; ++i) {
    if (daemon.status()["queued"] == 0) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST(Outbox, BrokerStoppedDuring500TapsLosesNothingAndKeepsOrder) {
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker", /*persistent=*/true);
  test::Daemon daemon(dir.path(), test::daemon_config(dir.path(), broker.uri(), kExtra));
  auto sub = std::make_unique<test::Subscriber>(broker.uri(), "kazasu/v1/#", "facility-pc-outbox-test");
  ASSERT_TRUE(sub->next("/status", 5s));

  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.push_back(daemon.tap("counter-1", "alice"));
  broker.stop();  // with outcomes still in flight
  Collected got;
  collect(*sub, got, 200, 2s);  // what reached the facility PC before the broker went
  sub.reset();
  for (int i = 0; i < 200; ++i) ids.push_back(daemon.tap("counter-1", "alice"));
  broker.start();
  for (int i = 0; i < 100; ++i) ids.push_back(daemon.tap("counter-1", "alice"));

  sub = std::make_unique<test::Subscriber>(broker.uri(), "kazasu/v1/#", "facility-pc-outbox-test");
  collect(*sub, got, ids.size(), 60s);
  ASSERT_EQ(got.distinct.size(), 500u) << daemon.log();
  EXPECT_EQ(got.order.size(), 500u) << "kazasud published an outcome twice within one run; broker redeliveries: "
                                    << got.broker_redeliveries << "\n"
                                    << daemon.log();
  // Time-ordered ids: arrival order is tap order.
  std::vector<std::string> first_seen;
  std::set<std::string> seen;
  for (const auto& id : got.order) {
    if (seen.insert(id).second) first_seen.push_back(id);
  }
  EXPECT_EQ(first_seen, ids);
  EXPECT_EQ(committed_taps(dir.path() / "data" / "plugins" / "example.db"), 500);
  EXPECT_TRUE(queue_drains(daemon));
}

// The publisher's memory holds at most Publisher::kMaxHeld (1024) outcomes;
// a longer outage leaves the rest in the outbox files, read back in order.
TEST(Outbox, ALongOutageIsHeldOnDiskNotInMemoryAndDeliveredInOrder) {
  constexpr size_t kTaps = 1500;
  constexpr size_t kMaxHeld = 1024;
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker", /*persistent=*/true);
  test::Daemon daemon(dir.path(), test::daemon_config(dir.path(), broker.uri(), kExtra));
  auto sub = std::make_unique<test::Subscriber>(broker.uri(), "kazasu/v1/#", "facility-pc-outage-test");
  ASSERT_TRUE(sub->next("/status", 5s));
  sub.reset();
  broker.stop();

  std::vector<std::string> ids;
  for (size_t i = 0; i < kTaps; ++i) ids.push_back(daemon.tap("counter-1", "alice"));
  const json st = daemon.status();
  std::printf("[ outage ] %zu taps with the broker away: queued %s, held in memory %s, on disk %s\n", kTaps,
              st["queued"].dump().c_str(), st["queued_held"].dump().c_str(), st["queued_on_disk"].dump().c_str());
  EXPECT_EQ(st["queued"].get<size_t>(), kTaps);
  EXPECT_LE(st["queued_held"].get<size_t>(), kMaxHeld);
  EXPECT_GE(st["queued_on_disk"].get<size_t>(), kTaps - kMaxHeld);

  broker.start();
  sub = std::make_unique<test::Subscriber>(broker.uri(), "kazasu/v1/#", "facility-pc-outage-test");
  Collected got;
  collect(*sub, got, kTaps, 90s);
  ASSERT_EQ(got.distinct.size(), kTaps) << daemon.log();
  EXPECT_EQ(got.order.size(), kTaps) << "an outcome was published twice";
  EXPECT_EQ(got.order, ids);
  EXPECT_TRUE(queue_drains(daemon));
  EXPECT_EQ(daemon.status()["queued_on_disk"], 0);
}

TEST(Outbox, SigkillMidBurstPublishesEveryCommittedOutcomeAfterRestart) {
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker", /*persistent=*/true);
  auto daemon = std::make_unique<test::Daemon>(dir.path(), test::daemon_config(dir.path(), broker.uri(), kExtra));
  auto sub = std::make_unique<test::Subscriber>(broker.uri(), "kazasu/v1/#", "facility-pc-kill-test");
  ASSERT_TRUE(sub->next("/status", 5s));

  // Taps keep coming from another thread while the daemon is killed.
  std::atomic<bool> stop{false};
  std::atomic<int> accepted{0};
  std::thread tapper([&] {
    while (!stop) {
      try {
        daemon->tap("counter-1", "alice");
        ++accepted;
      } catch (const std::exception&) {
        return;  // the daemon is gone
      }
    }
  });
  while (accepted < 150) std::this_thread::sleep_for(1ms);
  daemon->stop(SIGKILL, 5s);
  stop = true;
  tapper.join();

  const int64_t committed = committed_taps(dir.path() / "data" / "plugins" / "example.db");
  ASSERT_GT(committed, 0);
  daemon->restart();
  Collected got;
  collect(*sub, got, static_cast<size_t>(committed), 30s);
  // The ledger and the outcomes agree: every committed tap was published.
  EXPECT_EQ(static_cast<int64_t>(got.distinct.size()), committed) << daemon->log();
  // Rows acknowledged just before the kill may come again (deletes are
  // batched); subscribers drop those by id. A new id would be a tap the
  // ledger does not know.
  while (auto extra = sub->next("/example/seen", 1s)) {
    EXPECT_EQ(got.distinct.count(json::parse(extra->payload)["id"].get<std::string>()), 1u)
        << "an outcome the ledger does not account for";
  }
  EXPECT_TRUE(queue_drains(*daemon));
}

}  // namespace
}  // namespace kazasu

namespace kazasu {
namespace {

bool eventually(const std::function<bool()>& ok, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ok()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// The count in the first log line of the form `prefix` N `suffix`, if there is one.
std::optional<int> logged_pending(const std::string& log, const std::string& prefix, const std::string& suffix) {
  const auto at = log.find(prefix);
  if (at == std::string::npos) return std::nullopt;
  const auto from = at + prefix.size();
  const auto to = log.find(suffix, from);
  if (to == std::string::npos || to == from || to - from > 9) return std::nullopt;
  int n = 0;
  for (auto i = from; i < to; ++i) {
    if (log[i] < '0' || log[i] > '9') return std::nullopt;
    n = n * 10 + (log[i] - '0');
  }
  return n;
}

TEST(Outbox, NearAndOverItsCapItRaisesAnAlarmAndDropsNothing) {
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker");
  const std::string extra = kExtra + "\n[outbox]\ncap = 20\nalarm_percent = 50\n";
  test::Daemon daemon(dir.path(), test::daemon_config(dir.path(), broker.uri(), extra));
  ASSERT_TRUE(eventually([&] { return daemon.status()["mqtt"] == "connected"; }));
  broker.stop();

  // The alarm looks once a second, so it may see any count from its level to the taps
  // made by then (a slow machine or a sanitizer build is not through all twelve yet).
  for (int i = 0; i < 12; ++i) daemon.tap("counter-1", "alice");
  EXPECT_TRUE(eventually([&] {
    const auto n = logged_pending(daemon.log(), "<4>outbox near its cap pending=", " cap=20");
    return n && *n >= 10 && *n <= 12;
  })) << daemon.log();
  for (int i = 0; i < 13; ++i) daemon.tap("counter-1", "alice");
  EXPECT_TRUE(eventually([&] {
    const auto n = logged_pending(daemon.log(), "<3>outbox at its cap pending=", " cap=20");
    return n && *n >= 20 && *n <= 25;
  })) << daemon.log();

  // The broker returns: the alarm state is the first thing a facility PC can
  // read (retained), and every one of the 25 outcomes still arrives.
  broker.start();
  test::Subscriber pc(broker.uri(), "kazasu/v1/#");
  Collected got;
  collect(pc, got, 25, 15s);
  EXPECT_EQ(got.distinct.size(), 25u);
  EXPECT_TRUE(eventually([&] { return daemon.log().find("<5>outbox back to normal") != std::string::npos; }));
  test::Subscriber late(broker.uri(), "kazasu/v1/+/+/daemon/alarm");
  auto alarm = late.next("/daemon/alarm", 5s);
  ASSERT_TRUE(alarm);
  EXPECT_TRUE(alarm->retained);
  EXPECT_EQ(json::parse(alarm->payload)["alarm"], "outbox_ok");
}

}  // namespace
}  // namespace kazasu
