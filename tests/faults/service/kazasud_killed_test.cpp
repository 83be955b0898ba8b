// Fault case 2: kazasud dies under load.
//
// Injects: kazasud SIGKILLed 20 times, each at a random point of a burst of
// taps (a random burst of 20 to 150 taps on three simulated cards, offered as
// fast as the control socket answers; the kill comes after a random number of
// answered taps plus up to 2 ms), then started again on the same data
// directory. The random choices come from one seed, printed
// (KAZASU_FAULTS_SEED=<seed> replays a run). The broker stays up; a facility
// PC keeps a persistent session throughout.
//
// Compares, after every restart once kazasud's outbox has emptied: the
// example plugin's SQLite ledger (a count per card token; each outcome names
// its entry, token and count), the outbox rows found in that file at the kill,
// and what the PC received. Every ledger entry was delivered, no delivered
// outcome is missing from the ledger, no entry is named by two taps and no tap
// names two entries (one tap committed twice), every outbox row left at a kill
// was delivered after the restart, and repeats of an id are byte for byte the
// first copy. Not committed, and allowed to be absent everywhere: taps that
// got no answer because kazasud died, and taps the control socket answered
// (its answer means "read and queued", not "committed": a simulated reader
// answers at once) that were still queued in kazasud's memory at the kill. A
// tap that committed but whose answer was lost counts as "committed without
// an answer" and must be one of the unanswered taps.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "daemon.hpp"
#include "fault_kit.hpp"
#include "process.hpp"

namespace kazasu::faults {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kRoot = "kazasu/v1/test-city/station-1/";
constexpr int kKills = 20;
const std::vector<std::string> kCards = {"alice", "bob", "carol"};

const std::string kStation = R"(
[plugins.example]

[readers.counter-1]
driver = "sim"
plugins = ["example"]

[sim.cards.alice]
kind = "jpki"
serial = "0x1A2B3C4D"

[sim.cards.bob]
kind = "jpki"
serial = "0x2B3C4D5E"

[sim.cards.carol]
kind = "jpki"
serial = "0x3C4D5E6F"
)";

std::optional<json> status_of(const test::Daemon& d) {
  ControlClient c(d.dir() / "control.sock");
  return c.request(json{{"cmd", "status"}});
}

bool wait_for_status(const test::Daemon& d, const std::function<bool(const json&)>& ok,
                     std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (auto s = status_of(d); s && ok(*s)) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> outcomes_of(const std::vector<Arrival>& arrivals) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& a : arrivals) out.emplace_back(a.id, a.payload);
  return out;
}

TEST(KazasudKilled, TwentyKillsAtRandomPointsOfBurstsLeaveLedgerOutboxAndPcInAgreement) {
  Report report("kazasud_killed");
  const uint64_t seed = seed_from_env(20250202);
  report.count("seed", static_cast<int64_t>(seed));
  std::mt19937_64 rng(seed);

  test::TempDir dir;
  KillableBroker broker(dir.path() / "broker", /*persistent=*/false);
  Collector pc(broker.uri(), {kRoot + "example/seen"}, "facility-pc-faults-kazasud");
  test::Daemon daemon(dir.path(), test::daemon_config(dir.path(), broker.uri(), kStation));
  const auto db_file = dir.path() / "data" / "plugins" / "example.db";

  int64_t sent = 0;
  int64_t answered = 0;
  std::set<std::string> answered_ids;
  std::set<std::string> left_at_kills;  // outbox rows found in the file after a kill
  int64_t outbox_rows_at_kills = 0;
  std::vector<double> restart_ms;

  // After each start: kazasud publishes what the last run left, and then the
  // file and the PC agree.
  auto check_after_start = [&](int cycle) {
    const auto started = Clock::now();
    EXPECT_TRUE(wait_for_status(
        daemon, [](const json& s) { return s["mqtt"] == "connected" && s["queued"] == 0; }, 30s))
        << "cycle " << cycle << ": the outbox never emptied after the restart";
    const auto missing_rows = pc.wait_for_ids(left_at_kills, 10s);
    restart_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    EXPECT_TRUE(missing_rows.empty()) << "cycle " << cycle << ": " << missing_rows.size()
                                      << " outbox rows left at a kill were never delivered";
    const ExampleFile file = read_example_file(db_file);
    const LedgerCheck check = check_ledger(file, outcomes_of(pc.arrivals()));
    EXPECT_TRUE(check.agrees()) << "cycle " << cycle << ": " << check.describe();
  };

  for (int cycle = 1; cycle <= kKills; ++cycle) {
    check_after_start(cycle);
    if (::testing::Test::HasFailure()) break;

    const int burst = std::uniform_int_distribution<int>(20, 150)(rng);
    const int kill_after = std::uniform_int_distribution<int>(1, burst)(rng);
    const int extra_us = std::uniform_int_distribution<int>(0, 2000)(rng);
    std::vector<std::string> cards;
    for (int i = 0; i < burst; ++i) cards.push_back(kCards[std::uniform_int_distribution<size_t>(0, 2)(rng)]);

    std::atomic<int> cycle_answered{0};
    std::atomic<int> cycle_sent{0};
    std::atomic<bool> stop{false};
    std::mutex ids_mu;
    std::vector<std::string> ids;
    std::thread tapper([&] {
      ControlClient control(daemon.dir() / "control.sock");
      for (const auto& card : cards) {
        if (stop || !control.connected()) return;
        ++cycle_sent;
        auto id = control.tap("counter-1", card);
        if (!id) return;  // kazasud is gone
        {
          std::lock_guard<std::mutex> lock(ids_mu);
          ids.push_back(*id);
        }
        ++cycle_answered;
      }
    });
    JoinOnExit join_tapper(tapper, stop);
    while (cycle_answered < kill_after && cycle_sent < burst) std::this_thread::sleep_for(50us);
    std::this_thread::sleep_for(std::chrono::microseconds(extra_us));
    ASSERT_EQ(daemon.stop(SIGKILL, 5s), 128 + SIGKILL);
    join_tapper.join();

    sent += cycle_sent;
    answered += cycle_answered;
    answered_ids.insert(ids.begin(), ids.end());
    const ExampleFile at_kill = read_example_file(db_file);
    for (const auto& row : at_kill.outbox) left_at_kills.insert(row.msg_id);
    outbox_rows_at_kills += static_cast<int64_t>(at_kill.outbox.size());
    std::cout << "[faults] kill " << cycle << ": burst " << burst << ", killed after " << cycle_answered.load()
              << " answered taps (+" << extra_us << " us) with " << cycle_sent - cycle_answered
              << " unanswered; ledger " << at_kill.committed << ", outbox rows " << at_kill.outbox.size()
              << ", delivered so far " << pc.distinct() << std::endl;
    daemon.restart();
  }
  check_after_start(kKills + 1);

  std::this_thread::sleep_for(500ms);  // late repeats still count as duplicates
  const ExampleFile file = read_example_file(db_file);
  const auto arrivals = pc.arrivals();
  const Delivery d = account(arrivals);
  const LedgerCheck ledger = check_ledger(file, outcomes_of(arrivals));
  int64_t answered_not_committed = 0;
  for (const auto& id : answered_ids) answered_not_committed += d.first_payload.count(id) == 0 ? 1 : 0;
  int64_t committed_unanswered = 0;
  for (const auto& [id, payload] : d.first_payload) committed_unanswered += answered_ids.count(id) == 0 ? 1 : 0;

  report.count("kazasud_kills", kKills);
  report.count("taps_sent", sent);
  report.count("taps_answered", answered);
  report.count("taps_unanswered", sent - answered);
  report.count("outcomes_committed", file.committed);
  report.count("outbox_rows_found_at_kills", outbox_rows_at_kills);
  report.count("delivered", static_cast<int64_t>(d.distinct));
  report.count("lost", ledger.missing);
  report.count("delivered_not_in_ledger", ledger.beyond);
  report.count("ledger_entries_with_two_taps", ledger.entry_two_ids);
  report.count("taps_with_two_ledger_entries", ledger.id_two_entries);
  report.count("duplicated", static_cast<int64_t>(d.duplicates));
  report.count("duplicates_differing_from_first_copy", static_cast<int64_t>(d.differing_copies));
  report.count("not_committed_answered_but_still_queued_at_the_kill", answered_not_committed);
  report.count("not_committed_unanswered", sent - answered - committed_unanswered);
  report.count("committed_without_an_answer", committed_unanswered);
  report.ms("restart_to_outbox_empty_p50", percentile(restart_ms, 50));
  report.ms("restart_to_outbox_empty_max", percentile(restart_ms, 100));

  EXPECT_TRUE(ledger.agrees()) << ledger.describe();
  EXPECT_EQ(static_cast<int64_t>(d.distinct), file.committed);
  EXPECT_EQ(d.differing_copies, 0u);
  EXPECT_LE(committed_unanswered, sent - answered) << "a committed tap nobody sent";
  EXPECT_GT(file.committed, 0);
  EXPECT_TRUE(read_example_file(db_file).outbox.empty());
  if (::testing::Test::HasFailure()) std::cerr << "last kazasud log (last 8 KB):\n" << tail(daemon.log(), 8192);
  keep_on_failure(dir.path());
}

}  // namespace
}  // namespace kazasu::faults
