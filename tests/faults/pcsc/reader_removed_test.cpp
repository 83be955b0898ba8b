// Fault case: a reader unplugged and plugged in again.
//
// Injects: vpcd readers cannot be unplugged. They come from reader.conf
// entries, and Debian's pcscd (built with libudev) does not re-read those at
// run time: `pcscd --hotplug` (SIGUSR1) rescans only under the libusb hotplug
// backend, and vpcd has no eject of its own. The closest real equivalent is
// therefore pcscd started again without the reader's entry, so the reader is
// gone from SCardListReaders, and started again with it. This is what a USB
// reader unplugged while pcscd restarts looks like to a client. The other
// reader (a Debian vpcd slot, whose entry stays) sees the same pcscd restart,
// so kazasud must tell "reader absent" from "PC/SC service lost". Only a pcscd
// this test started is stopped; otherwise the case is skipped.
//
// Compares: with the entry gone, counter-3 is `error` "reader not connected"
// in `kazasuctl --json readers` while counter-1 is `ready` again and its taps
// are answered. With the entry back, counter-3 is `ready` again by itself and
// its next tap is answered. Taps made, outcomes delivered, lost (must be 0)
// and the taps kazasud counted are printed.
#include <gtest/gtest.h>

#include "fault_station.hpp"

namespace kazasu::test::faults {
namespace {

using namespace std::chrono_literals;

TEST(ReaderRemoved, IsMarkedAbsentAndPickedUpAgain) {
  if (!PcscDaemon::instance().started_here()) {
    GTEST_SKIP() << "a pcscd this test did not start serves the readers; the case restarts pcscd, so it does not run";
  }
  const ReaderSpec one{"counter-1", kReader0};
  const ReaderSpec three{"counter-3", kReader2};
  const auto& card = valid_card();
  FaultStation st({one, three});
  ASSERT_TRUE(st.wait_reader(one.name, "ready", 15s));
  ASSERT_TRUE(st.wait_reader(three.name, "ready", 15s));

  long long made = 0;
  long long delivered = 0;
  auto tap_ok = [&](const ReaderSpec& spec, const char* when) {
    const auto seen = st.tap(spec, card);
    ++made;
    ASSERT_TRUE(seen) << "no answer on " << spec.name << " " << when;
    ++delivered;
    EXPECT_TRUE(seen->identified) << spec.name << " " << when << ": " << seen->status << ": " << seen->message;
  };
  tap_ok(one, "before the removal");
  tap_ok(three, "before the removal");

  // Unplugged: a pcscd with only Debian's vpcd entry (slots 00 00 and 00 01).
  PcscDaemon::instance().stop();
  TempDir logs;
  auto reduced = start_own_pcscd({"-c", "/etc/reader.conf.d/vpcd"}, logs.path() / "pcscd-reduced.log", {kReader0});
  ASSERT_FALSE(pcscd_lists(kReader2)) << "the reader is still listed";
  report("injected", std::string(kReader2.name) + " removed from pcscd's reader list");
  nlohmann::json r3;
  // First "PC/SC service lost" like every reader, then "reader not connected" once pcscd is back without it.
  EXPECT_TRUE(st.wait_reader(three.name, "error", 10s, &r3, "not connected")) << r3.dump();
  report("counter-3_while_removed", r3.value("state", "") + " \"" + r3.value("detail", "") + "\"");
  nlohmann::json r1;
  EXPECT_TRUE(st.wait_reader(one.name, "ready", 10s, &r1)) << "the reader that stayed did not recover: " << r1.dump();
  report("counter-1_while_removed", r1.value("state", "") + " \"" + r1.value("detail", "") + "\"");
  tap_ok(one, "while counter-3 is unplugged");
  EXPECT_EQ(st.reader(three.name).value("state", ""), "error") << "the unplugged reader came back by itself";
  ASSERT_TRUE(st.alive()) << st.log();

  // Plugged in again: the fixture's pcscd with all four readers.
  reduced.reset();
  PcscDaemon::instance().ensure();
  EXPECT_TRUE(st.wait_reader(three.name, "ready", 10s, &r3)) << "the reader was not picked up again: " << r3.dump();
  EXPECT_TRUE(st.wait_reader(one.name, "ready", 10s, &r1)) << r1.dump();
  report("counter-3_after_plug_in", r3.value("state", ""));
  tap_ok(three, "after it was plugged in again");
  tap_ok(one, "after counter-3 was plugged in again");
  ASSERT_TRUE(st.alive());

  const long long counted =
      st.reader(one.name).at("taps").get<long long>() + st.reader(three.name).at("taps").get<long long>();
  report("taps_made", made);
  report("taps_counted_by_kazasud", counted);
  report("outcomes_delivered", delivered);
  report("lost", made - delivered);
  EXPECT_EQ(counted, made);
  EXPECT_EQ(delivered, made);
}

}  // namespace
}  // namespace kazasu::test::faults
