// Fault case: pcscd killed and started again.
//
// Injects: SIGKILL to a pcscd this test started itself (the fixture's pcscd is
// stopped first and put back at the end; a pcscd the test did not start is
// never touched: the case is skipped with that reason). kazasud serves two
// readers, counter-1 on a Debian vpcd slot and counter-3 on one of the
// fixture's extra slots. While pcscd is down a card is put on counter-1 (the
// simulator keeps trying to reach vpcd); then pcscd is started again.
//
// Compares: both readers are `error` in `kazasuctl --json readers` while pcscd
// is down (and `kazasuctl --json status` still answers: kazasud runs), both
// are `ready` again without any help once pcscd is back, the card put on
// during the outage is answered, and the next tap on each reader is answered
// with the same identity as before. Taps before and after, outcomes delivered
// and lost (= taps made - outcomes), and the taps kazasud counted per reader
// are printed; lost must be 0.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "fault_station.hpp"

namespace kazasu::test::faults {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

TEST(PcscdRestart, ReadersReportTheLossAndRecoverOnTheirOwn) {
  if (!PcscDaemon::instance().started_here()) {
    GTEST_SKIP() << "a pcscd this test did not start serves the readers; the case kills pcscd, so it does not run";
  }
  const ReaderSpec one{"counter-1", kReader0};
  const ReaderSpec three{"counter-3", kReader2};
  const auto& card = valid_card();

  PcscDaemon::instance().stop();
  TempDir logs;
  auto pcscd = start_own_pcscd({}, logs.path() / "pcscd-1.log", {kReader0, kReader2});
  FaultStation st({one, three});
  ASSERT_TRUE(st.wait_reader(one.name, "ready", 15s));
  ASSERT_TRUE(st.wait_reader(three.name, "ready", 15s));

  long long made = 0;
  long long delivered = 0;
  std::string token;
  for (const auto* spec : {&one, &three}) {
    const auto seen = st.tap(*spec, card);
    ++made;
    ASSERT_TRUE(seen);
    ++delivered;
    ASSERT_TRUE(seen->identified) << seen->status << ": " << seen->message;
    token = seen->token;
  }
  const long long before = made;
  report("taps_before", before);

  // The kill: no goodbye to any client.
  ASSERT_EQ(::kill(pcscd->pid(), SIGKILL), 0);
  ASSERT_TRUE(pcscd->wait_exit(5s)) << "pcscd did not die";
  const auto killed = Clock::now();
  report("injected", "SIGKILL to pcscd");
  nlohmann::json r1;
  nlohmann::json r3;
  EXPECT_TRUE(st.wait_reader(one.name, "error", 5s, &r1)) << r1.dump();
  EXPECT_TRUE(st.wait_reader(three.name, "error", 5s, &r3)) << r3.dump();
  report("counter-1_while_down", r1.value("state", "") + " \"" + r1.value("detail", "") + "\"");
  report("counter-3_while_down", r3.value("state", "") + " \"" + r3.value("detail", "") + "\"");
  ASSERT_TRUE(st.alive()) << "kazasud died with pcscd\n" << st.log();
  const nlohmann::json status = st.status();  // the control socket still answers
  EXPECT_EQ(status.value("state", ""), "online") << status.dump();
  report("kazasuctl_status_while_down", status.value("state", "") + ", mqtt " + status.value("mqtt", ""));

  // A resident puts a card on counter-1 while pcscd is down.
  auto outage_card = std::make_unique<CardsimProcess>(card, kReader0.port);
  ++made;
  std::this_thread::sleep_for(1500ms);  // down across several of kazasud's re-establish attempts
  pcscd.reset();
  PcscDaemon::instance().ensure();  // the fixture's pcscd again, all four readers
  const auto back = Clock::now();
  report("pcscd_down_ms", ms_since(killed) - ms_since(back));

  const auto during = st.next_outcome(one, 15s);
  EXPECT_TRUE(during) << "the card put on during the outage was never answered";
  if (during) {
    ++delivered;
    EXPECT_TRUE(during->identified) << during->status << ": " << during->message;
    EXPECT_EQ(during->token, token);
  }
  outage_card.reset();
  EXPECT_TRUE(wait_for_card(kReader0.name, false, 5s));
  EXPECT_TRUE(st.wait_reader(one.name, "ready", 10s, &r1)) << r1.dump();
  EXPECT_TRUE(st.wait_reader(three.name, "ready", 10s, &r3)) << r3.dump();
  report("ready_again_after_ms", ms_since(back));

  for (const auto* spec : {&one, &three}) {
    const auto seen = st.tap(*spec, card);
    ++made;
    ASSERT_TRUE(seen) << "no answer on " << spec->name << " after pcscd came back";
    ++delivered;
    EXPECT_TRUE(seen->identified) << seen->status << ": " << seen->message;
    EXPECT_EQ(seen->token, token);
  }
  ASSERT_TRUE(st.alive());

  const long long counted =
      st.reader(one.name).at("taps").get<long long>() + st.reader(three.name).at("taps").get<long long>();
  report("taps_after", made - before);
  report("taps_made", made);
  report("taps_counted_by_kazasud", counted);
  report("outcomes_delivered", delivered);
  report("lost", made - delivered);
  EXPECT_EQ(counted, made);
  EXPECT_EQ(delivered, made);
}

}  // namespace
}  // namespace kazasu::test::faults
