// Fault case 3: the city's shared-state engine goes away, slows down and comes
// back in the middle of a burst.
//
// Injects: two stations (two kazasud, each with the `appender` test plugin:
// every tap appends one entry, id = the tap id, to the city's ledger on a
// real PostgreSQL cluster) reach the engine through a delaying TCP proxy.
// While both take 25 taps/s, the engine is: up; stopped (fast shutdown);
// started again behind a link slowed to 100 ms per chunk (slow but within
// the stations' 1500 ms deadline); slowed to 700 ms per chunk (calls run past
// the deadline, so some appends reach the engine after the station gave up on
// their answer and are sent again); cut at the link; and back at full speed.
//
// Compares: taps made and taps answered (every tap's outcome reaches the
// facility PC in every phase: appends are local first, so no tap waits for
// the engine; the slowest tap must stay under the engine deadline), the
// latency per phase (p50, p99, max), entries queued at the stations during the
// outage, and after the engine is back and the queues are empty, per station:
// the entries on the engine against the outcomes that station committed (the
// same ids, each once: none lost, none doubled, none the stations did not
// commit) and the shared conflicts reported (0).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "daemon.hpp"
#include "fault_kit.hpp"
#include "postgres.hpp"
#include "process.hpp"
#include "tcp_proxy.hpp"

namespace kazasu::faults {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kDeadlineMs = 1500;
constexpr auto kTapInterval = 40ms;  // 25 taps/s per station
const std::vector<std::string> kStations = {"station-1", "station-2"};

std::string station_config(const fs::path& dir, const std::string& broker_uri, const std::string& name, int port) {
  const std::string body = std::string("[plugins.appender]\npath = \"") + APPENDER_PLUGIN +
                           "\"\n[plugins.appender.config]\nstream = \"taps-" + name +
                           "\"\n\n[readers.counter-1]\ndriver = \"sim\"\nplugins = [\"appender\"]\n"
                           "\n[sim.cards.alice]\nkind = \"jpki\"\nserial = \"0x1A2B3C4D\"\n"
                           "\n[shared]\nengine = \"postgresql\"\nconninfo = \"host=127.0.0.1 port=" +
                           std::to_string(port) + " dbname=" + test::Postgres::kDatabase +
                           " user=" + test::Postgres::kUser + " connect_timeout=2\"\npassword_file = \"" +
                           (dir / "pg.password").string() + "\"\ndeadline_ms = " + std::to_string(kDeadlineMs) + "\n";
  std::string text = test::daemon_config(dir, broker_uri, body);
  const std::string from = "name = \"station-1\"";
  text.replace(text.find(from), from.size(), "name = \"" + name + "\"");
  return text;
}

std::optional<json> status_of(const test::Daemon& d) {
  ControlClient c(d.dir() / "control.sock");
  return c.request(json{{"cmd", "status"}});
}

struct Sent {
  std::string station, id;
  int phase = 0;
  Clock::time_point at;
};

TEST(SharedEngine, StoppedSlowedAndRestartedMidBurstTapsAnswerLocallyAndEveryEntryArrivesOnce) {
  if (test::postgres_bin_dir().empty()) GTEST_SKIP() << "PostgreSQL's server is not installed";
  Report report("shared_engine");
  test::TempDir dir;
  KillableBroker broker(dir.path() / "broker", /*persistent=*/false);
  test::Postgres pg;
  test::TcpProxy link(pg.port());
  Collector pc(broker.uri(), {"kazasu/v1/test-city/+/appender/#"});
  std::map<std::string, std::unique_ptr<test::Daemon>> stations;
  for (const auto& name : kStations) {
    const fs::path sdir = dir.path() / name;
    fs::create_directories(sdir);
    test::write_file(sdir / "pg.password", std::string(test::Postgres::kPassword) + "\n", 0600);
    stations[name] = std::make_unique<test::Daemon>(sdir, station_config(sdir, broker.uri(), name, link.port()));
  }
  // Both connected to the broker, and the engine's schema made (the first append).
  for (const auto& [name, d] : stations) {
    const auto deadline = Clock::now() + 20s;
    std::optional<json> s;
    while (Clock::now() < deadline) {
      s = status_of(*d);
      if (s && (*s)["mqtt"] == "connected") break;
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(s && (*s)["mqtt"] == "connected") << name << "\n" << d->log();
  }

  const std::vector<std::string> phases = {"engine up",
                                           "engine stopped",
                                           "engine restarted, link slowed 100 ms per chunk",
                                           "link slowed 700 ms per chunk (past the deadline)",
                                           "link cut",
                                           "link back at full speed"};
  std::atomic<int> phase{0};
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  std::mutex sent_mu;
  std::vector<Sent> sent;
  std::vector<std::thread> tappers;
  for (const auto& name : kStations) {
    tappers.emplace_back([&, name] {
      ControlClient control(stations[name]->dir() / "control.sock");
      const auto start = Clock::now();
      for (int i = 0; !stop; ++i) {
        std::this_thread::sleep_until(start + i * kTapInterval);
        const int ph = phase;
        const auto at = Clock::now();
        auto id = control.tap("counter-1", "alice");
        if (!id) {
          ++refused;
          continue;
        }
        std::lock_guard<std::mutex> lock(sent_mu);
        sent.push_back(Sent{name, *id, ph, at});
      }
    });
  }
  struct JoinAll {
    std::vector<std::thread>& threads;
    std::atomic<bool>& stop;
    ~JoinAll() {
      stop = true;
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } join_all{tappers, stop};

  int64_t max_queued = 0;
  std::optional<Clock::time_point> link_back;  // the link at full speed again
  std::optional<double> emptied_ms;            // from then until both stations' queues were empty
  auto sample_queues = [&] {
    int64_t total = 0;
    for (const auto& [name, st] : stations) {
      const auto s = status_of(*st);
      const int64_t q = s ? (*s)["shared"]["queued_entries"].get<int64_t>() : -1;
      max_queued = std::max(max_queued, q);
      total += q < 0 ? 1 : q;
    }
    if (link_back && !emptied_ms && total == 0) {
      emptied_ms = std::chrono::duration<double, std::milli>(Clock::now() - *link_back).count();
    }
    return total;
  };
  auto hold = [&](std::chrono::milliseconds d) {
    const auto until = Clock::now() + d;
    while (Clock::now() < until) {
      sample_queues();
      std::this_thread::sleep_for(100ms);
    }
  };
  // Entries on the engine as each phase ends (asked directly, not through the link).
  std::vector<std::string> on_engine_at_end;
  auto engine_count = [&]() -> std::string {
    if (!pg.running()) return "engine down";
    try {
      std::string n = pg.sql("SELECT count(*) FROM kazasu.shared_entries WHERE plugin = 'appender'");
      while (!n.empty() && (n.back() == '\n' || n.back() == '\r')) n.pop_back();
      return n;
    } catch (const std::exception&) {
      return "no schema yet";
    }
  };
  hold(2s);
  on_engine_at_end.push_back(engine_count());
  phase = 1;
  pg.stop();
  hold(3s);
  on_engine_at_end.push_back(engine_count());
  phase = 2;
  link.set_delay(100ms);
  pg.start();
  hold(3s);
  on_engine_at_end.push_back(engine_count());
  phase = 3;
  link.set_delay(700ms);
  hold(3s);
  on_engine_at_end.push_back(engine_count());
  phase = 4;
  link.stop();
  hold(1500ms);
  on_engine_at_end.push_back(engine_count());
  link.start();
  phase = 5;
  link.set_delay(0ms);
  link_back = Clock::now();
  hold(3s);
  on_engine_at_end.push_back(engine_count());
  stop = true;
  for (auto& t : tappers) t.join();

  // Every tap answered: its outcome reached the PC.
  std::set<std::string> sent_ids;
  for (const auto& s : sent) sent_ids.insert(s.id);
  const auto unanswered = pc.wait_for_ids(sent_ids, 10s);

  // The stations' queues empty by themselves once the engine is back (the
  // replayer's back-off reaches 30 s at most after a long outage).
  const auto deadline = Clock::now() + 60s;
  while (sample_queues() != 0 && Clock::now() < deadline) std::this_thread::sleep_for(100ms);
  const bool drained = emptied_ms.has_value();

  // What each station committed (its outcomes at the PC) against what the engine holds.
  const auto arrivals = pc.arrivals();
  const auto first = pc.first_seen();
  std::map<std::string, std::set<std::string>> committed;
  int64_t refused_outcomes = 0;
  for (const auto& a : arrivals) {
    for (const auto& name : kStations) {
      if (a.topic.find("/" + name + "/appender/") == std::string::npos) continue;
      if (a.topic.size() >= 9 && a.topic.compare(a.topic.size() - 9, 9, "/appended") == 0) {
        committed[name].insert(a.id);
      } else {
        ++refused_outcomes;
      }
    }
  }
  std::map<std::string, std::multiset<std::string>> on_engine;
  std::istringstream rows(pg.sql("SELECT station, entry_id FROM kazasu.shared_entries WHERE plugin = 'appender'"));
  for (std::string line; std::getline(rows, line);) {
    const size_t bar = line.find('|');
    if (bar == std::string::npos) continue;
    on_engine[line.substr(line.find('/') + 1, bar - line.find('/') - 1)].insert(line.substr(bar + 1));
  }

  report.count("stations", static_cast<int64_t>(kStations.size()));
  report.count("taps_made", static_cast<int64_t>(sent.size()));
  report.count("taps_refused_by_control_socket", refused);
  report.count("taps_answered", static_cast<int64_t>(sent.size() - unanswered.size()));
  report.count("taps_unanswered", static_cast<int64_t>(unanswered.size()));
  report.count("outcomes_append_refused", refused_outcomes);
  report.count("max_entries_queued_at_a_station", max_queued);
  std::vector<double> all_ms;
  for (size_t p = 0; p < phases.size(); ++p) {
    std::vector<double> ms;
    for (const auto& s : sent) {
      const auto it = first.find(s.id);
      if (s.phase == static_cast<int>(p) && it != first.end()) {
        ms.push_back(std::chrono::duration<double, std::milli>(it->second - s.at).count());
      }
    }
    all_ms.insert(all_ms.end(), ms.begin(), ms.end());
    report.note("phase_" + std::to_string(p), phases[p] + ": " + std::to_string(ms.size()) +
                                                  " taps, entries on the engine at its end: " + on_engine_at_end.at(p));
    report.ms("phase_" + std::to_string(p) + "_tap_to_outcome_p50", percentile(ms, 50));
    report.ms("phase_" + std::to_string(p) + "_tap_to_outcome_p99", percentile(ms, 99));
    report.ms("phase_" + std::to_string(p) + "_tap_to_outcome_max", percentile(ms, 100));
  }
  report.ms("queues_empty_after_the_link_came_back", emptied_ms.value_or(-1));
  int64_t conflicts = 0;
  for (const auto& name : kStations) {
    const auto& mine = committed[name];
    const auto& engine = on_engine[name];
    int64_t missing = 0;
    int64_t doubled = 0;
    int64_t unknown = 0;
    for (const auto& id : mine) missing += engine.count(id) == 0 ? 1 : 0;
    for (const auto& id : std::set<std::string>(engine.begin(), engine.end())) {
      doubled += engine.count(id) > 1 ? static_cast<int64_t>(engine.count(id) - 1) : 0;
      unknown += mine.count(id) == 0 ? 1 : 0;
    }
    const auto s = status_of(*stations[name]);
    const int64_t c = s ? (*s)["shared"]["conflicts"].get<int64_t>() : -1;
    conflicts += c;
    report.count(name + "_committed", static_cast<int64_t>(mine.size()));
    report.count(name + "_entries_on_engine", static_cast<int64_t>(engine.size()));
    report.count(name + "_lost", missing);
    report.count(name + "_doubled", doubled);
    report.count(name + "_on_engine_not_committed", unknown);
    report.count(name + "_shared_conflicts", c);
    EXPECT_EQ(missing, 0) << name << ": committed entries the engine never got";
    EXPECT_EQ(doubled, 0) << name;
    EXPECT_EQ(unknown, 0) << name << ": entries on the engine no committed tap made";
    EXPECT_EQ(static_cast<int64_t>(engine.size()), static_cast<int64_t>(mine.size())) << name;
  }

  EXPECT_EQ(refused, 0) << "taps the control socket refused";
  EXPECT_TRUE(unanswered.empty()) << unanswered.size() << " taps never got their outcome";
  EXPECT_EQ(refused_outcomes, 0) << "appends refused while the engine was away: they are local first";
  EXPECT_GT(max_queued, 0) << "the outage queued nothing: the test proves nothing";
  EXPECT_TRUE(drained) << "the stations' queues never emptied";
  EXPECT_EQ(conflicts, 0);
  // A tap that waited for the engine would take at least the deadline in the
  // stopped and cut phases; local first, none comes near it.
  EXPECT_LT(percentile(all_ms, 100), kDeadlineMs) << "a tap waited for the engine";
  for (size_t p = 0; p < phases.size(); ++p) {
    size_t n = 0;
    for (const auto& s : sent) n += s.phase == static_cast<int>(p) ? 1 : 0;
    EXPECT_GT(n, 0u) << "no taps in phase " << phases[p];
  }
  if (::testing::Test::HasFailure()) {
    for (const auto& [name, d] : stations)
      std::cerr << "---- " << name << " log (last 6 KB):\n" << tail(d->log(), 6144);
  }
  keep_on_failure(dir.path());
}

}  // namespace
}  // namespace kazasu::faults
