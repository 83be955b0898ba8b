// Fault case 1: the broker dies under load.
//
// Injects: mosquitto SIGKILLed and restarted 10 times while 2,000 taps are
// offered at 80 taps/s through the control socket (the example plugin on a
// simulated reader). Once with mosquitto's persistence on (its database
// saved after every change, so a restarted broker knows kazasud's session and
// the PC's), once off (a restart forgets every session: kazasud must send
// what it had in flight again itself). A facility PC keeps a persistent
// session (clean start off, session expiry, QoS 1) and reconnects after each
// restart before kazasud may: kazasud reaches the broker through a gate (a
// TCP proxy) the test opens once the PC is back, since a broker without
// persistence drops what is published for a session it forgot. The gate also
// reads the MQTT stream: which outcomes the broker acknowledged (PUBACK), and
// any PUBLISH no broker should take.
//
// Each broker mode runs twice: with kazasud's MQTT session kept (the default,
// clean start off) and with [mqtt] session_expiry_s = 0 (clean start: every
// in-flight outcome is sent again by kazasud from its outbox). The kept-
// session runs found a defect in kazasud's MQTT client, described above them.
//
// Compares: taps made (answered by the control socket), outcomes committed
// (the example plugin's SQLite ledger), delivered (distinct outcome ids at the
// PC), lost (committed, never delivered), split into lost by the station
// (never acknowledged by the broker: must be 0) and lost after the broker's
// PUBACK (the broker had taken it over and was killed before the PC
// acknowledged it: MQTT has no one left to resend it, so these are counted,
// not failed), duplicated (repeats of an id: allowed as QoS 1 allows them,
// at most a window of 64 per kill and leg, and each must be byte for byte the
// first copy), corrupt PUBLISH packets from kazasud (must be 0), and the
// ledger entry (token, count) each outcome names: every entry named by
// exactly one tap.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "daemon.hpp"
#include "fault_kit.hpp"
#include "process.hpp"
#include "tcp_proxy.hpp"

namespace kazasu::faults {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kRoot = "kazasu/v1/test-city/station-1/";
constexpr int kTaps = 2000;
constexpr int kKills = 10;
constexpr auto kTapInterval = 12500us;  // 80 taps/s: 25 s of taps, a kill about every 2.3 s

std::optional<json> status_of(const test::Daemon& d) {
  ControlClient c(d.dir() / "control.sock");
  return c.request(json{{"cmd", "status"}});
}

bool wait_for_status(const test::Daemon& d, const std::function<bool(const json&)>& ok,
                     std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (auto s = status_of(d); s && ok(*s)) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

void broker_killed_during_taps(bool persistent, bool station_session) {
  Report report(std::string(persistent ? "broker_killed_persistent" : "broker_killed_volatile") +
                (station_session ? "" : "_clean_start"));
  const uint64_t seed = seed_from_env(20250101);
  report.count("seed", static_cast<int64_t>(seed));
  std::mt19937_64 rng(seed);
  report.note("mosquitto_persistence", persistent ? "on (saved after every change)" : "off");

  test::TempDir dir;
  KillableBroker broker(dir.path() / "broker", persistent);
  MqttWatch watch;
  test::TcpProxy gate(broker.port());
  gate.observe([&watch](uint64_t link, bool from_client, const char* data, size_t n) {
    watch.feed(link, from_client, data, n);
  });
  Collector pc(broker.uri(), {kRoot + "example/seen"}, "facility-pc-faults-broker");
  if (persistent) {
    // The PC's session must be in the saved database before the first kill.
    const auto deadline = Clock::now() + 5s;
    while (!broker.saved() && Clock::now() < deadline) std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(broker.saved()) << "mosquitto never saved its database";
  }
  report.note("station_mqtt_session",
              station_session ? "kept (session_expiry_s default)" : "clean start (session_expiry_s = 0)");
  test::Daemon daemon(dir.path(),
                      test::daemon_config(dir.path(), "tcp://127.0.0.1:" + std::to_string(gate.port()),
                                          test::kExampleStation, station_session ? "" : "session_expiry_s = 0\n"));
  ASSERT_TRUE(wait_for_status(
      daemon, [](const json& s) { return s["mqtt"] == "connected"; }, 10s))
      << daemon.log();

  std::atomic<int> made{0};
  std::atomic<int> failed{0};
  std::atomic<bool> stop{false};
  std::mutex ids_mu;
  std::vector<std::string> order;  // tap order
  std::thread tapper([&] {
    auto control = std::make_unique<ControlClient>(daemon.dir() / "control.sock");
    const auto start = Clock::now();
    for (int i = 0; i < kTaps && !stop; ++i) {
      std::this_thread::sleep_until(start + i * kTapInterval);
      auto id = control->tap("counter-1", "alice");
      if (!id) {
        ++failed;
        control = std::make_unique<ControlClient>(daemon.dir() / "control.sock");
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(ids_mu);
        order.push_back(*id);
      }
      ++made;
    }
  });
  JoinOnExit join_tapper(tapper, stop);  // an ASSERT below must not leave it running

  std::uniform_int_distribution<int> down_ms(100, 600);
  std::vector<double> back_ms;
  std::vector<int> taps_at_kill;
  int kills = 0;
  for (int k = 0; k < kKills; ++k) {
    const int at = 100 + k * (kTaps - 200) / (kKills - 1);
    while (made + failed < at) std::this_thread::sleep_for(2ms);
    if (watch.corrupt() > 0) break;  // kazasud cannot deliver any more; the counts below say why
    const int down = down_ms(rng);
    taps_at_kill.push_back(made);
    broker.kill();
    gate.stop();
    ++kills;
    std::this_thread::sleep_for(std::chrono::milliseconds(down));
    broker.start();
    ASSERT_TRUE(pc.reconnect(10s)) << "the facility PC could not reconnect";
    gate.start();
    const auto reopened = Clock::now();
    const uint64_t acked_before = watch.acked_ids().size();
    // kazasud is back once the broker acknowledges its outcomes again.
    const auto deadline = Clock::now() + 10s;
    while (watch.acked_ids().size() == acked_before && watch.corrupt() == 0 && Clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    back_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - reopened).count());
    std::cout << "[faults] kill " << k + 1 << " at tap " << taps_at_kill.back() << ": broker down " << down
              << " ms, outcomes acknowledged again " << back_ms.back() << " ms after the gate opened" << std::endl;
  }
  tapper.join();  // all its taps offered

  // Everything committed reaches the broker (kazasud's outbox empties), then the PC.
  const bool stalled = watch.corrupt() > 0;
  const bool drained = wait_for_status(
      daemon, [](const json& s) { return s["queued"] == 0; }, stalled ? 3s : 30s);
  std::set<std::string> made_ids;
  {
    std::lock_guard<std::mutex> lock(ids_mu);
    made_ids.insert(order.begin(), order.end());
  }
  pc.wait_for_ids(made_ids, drained ? 5s : 1s);
  if (drained) std::this_thread::sleep_for(1s);  // late repeats still count as duplicates
  const ExampleFile file = read_example_file(dir.path() / "data" / "plugins" / "example.db");
  const auto arrivals = pc.arrivals();
  const Delivery d = account(arrivals);
  // Lost: made (and so committed) but never at the PC, in the final count of arrivals.
  std::set<std::string> missing;
  for (const auto& id : made_ids) {
    if (d.first_payload.count(id) == 0) missing.insert(id);
  }
  std::vector<std::pair<std::string, std::string>> outcomes;
  for (const auto& a : arrivals) outcomes.emplace_back(a.id, a.payload);
  const LedgerCheck ledger = check_ledger(file, outcomes);
  size_t unknown = 0;
  for (const auto& [id, payload] : d.first_payload) unknown += made_ids.count(id) == 0 ? 1 : 0;
  const auto acked = watch.acked_ids();
  std::vector<std::string> lost_by_station;
  size_t lost_after_ack = 0;
  for (const auto& id : missing) {
    if (acked.count(id) != 0) {
      ++lost_after_ack;
    } else {
      lost_by_station.push_back(id);
    }
  }

  report.count("broker_kills", kills);
  report.count("taps_offered", kTaps);
  report.count("taps_made", made);
  report.count("taps_refused_or_unanswered", failed);
  report.count("outcomes_committed", file.committed);
  report.count("acknowledged_by_broker", static_cast<int64_t>(acked.size()));
  report.count("outbox_rows_left", static_cast<int64_t>(file.outbox.size()));
  report.count("delivered", static_cast<int64_t>(d.distinct));
  report.count("lost", static_cast<int64_t>(missing.size()));
  report.count("lost_by_station", static_cast<int64_t>(lost_by_station.size()));
  report.count("lost_after_broker_puback", static_cast<int64_t>(lost_after_ack));
  report.count("delivered_not_made", static_cast<int64_t>(unknown));
  report.count("duplicated", static_cast<int64_t>(d.duplicates));
  report.count("duplicated_by_broker_redelivery", static_cast<int64_t>(d.broker_redeliveries));
  report.count("duplicates_differing_from_first_copy", static_cast<int64_t>(d.differing_copies));
  report.count("publishes_from_kazasud", static_cast<int64_t>(watch.publishes()));
  report.count("corrupt_publishes_from_kazasud", static_cast<int64_t>(watch.corrupt()));
  for (const auto& sample : watch.corrupt_samples()) report.note("corrupt_publish", sample);
  report.ms("outcomes_back_after_gate_p50", percentile(back_ms, 50));
  report.ms("outcomes_back_after_gate_max", percentile(back_ms, 100));

  EXPECT_EQ(watch.corrupt(), 0u) << "kazasud sent PUBLISH packets with a corrupt topic or payload; mosquitto "
                                    "disconnects it for each, so nothing leaves the station any more";
  EXPECT_EQ(kills, kKills);
  EXPECT_EQ(failed, 0) << "taps the control socket did not answer";
  EXPECT_EQ(made, kTaps);
  EXPECT_EQ(file.committed, made) << "every answered tap commits (kazasud itself never died)";
  EXPECT_TRUE(drained) << "kazasud's outbox never emptied";
  EXPECT_TRUE(lost_by_station.empty()) << lost_by_station.size()
                                       << " committed outcomes the broker never acknowledged, e.g. "
                                       << (lost_by_station.empty() ? "" : lost_by_station.front());
  EXPECT_EQ(unknown, 0u) << "outcomes of taps nobody made";
  EXPECT_EQ(ledger.beyond + ledger.entry_two_ids + ledger.id_two_entries, 0) << ledger.describe();
  EXPECT_EQ(ledger.missing, static_cast<int64_t>(missing.size())) << ledger.describe();
  EXPECT_EQ(d.differing_copies, 0u) << "a repeat of an id with other content: a second outcome, not a resend";
  // QoS 1 repeats only what was unacknowledged at a disconnect: kazasud holds
  // at most 64 outcomes in flight, and the broker's redeliveries to the PC are
  // its own unacknowledged ones, so each kill may repeat a window on either leg.
  EXPECT_LE(d.duplicates, static_cast<size_t>(kKills) * 2 * 64);
  EXPECT_TRUE(file.outbox.empty()) << file.outbox.size() << " rows left in the outbox";
  if (::testing::Test::HasFailure()) std::cerr << "kazasud log (last 8 KB):\n" << tail(daemon.log(), 8192);
  keep_on_failure(dir.path());
}

// kazasud's default, its session kept (clean start off). This once failed in
// one run of two to four: with a lost connection and outcomes in flight, Paho
// C 1.3.12 sent in-flight messages from memory it had freed across the
// reconnect ("\x01" or heap bytes as the topic); mosquitto dropped kazasud for
// a malformed packet on every try and nothing left the station again until a
// restart. The publisher now makes a fresh Paho client for every connection
// and resends what was in flight from its own copies.
TEST(BrokerKilled, TenKillsDuring2000TapsWithPersistenceLoseNothingAtTheStation) {
  broker_killed_during_taps(true, true);
}

TEST(BrokerKilled, TenKillsDuring2000TapsWithoutPersistenceLoseNothingAtTheStation) {
  broker_killed_during_taps(false, true);
}

TEST(BrokerKilled, CleanStartTenKillsDuring2000TapsWithPersistenceLoseNothingAtTheStation) {
  broker_killed_during_taps(true, false);
}

TEST(BrokerKilled, CleanStartTenKillsDuring2000TapsWithoutPersistenceLoseNothingAtTheStation) {
  broker_killed_during_taps(false, false);
}

}  // namespace
}  // namespace kazasu::faults
