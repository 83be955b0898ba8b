// The driver's life on a real pcscd: one tap per card, a card pulled mid-read,
// a reader that appears later, and pcscd going away and coming back.
#include <gtest/gtest.h>

#include "reader_harness.hpp"

namespace kazasu::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::vector<std::string> trace_args(const char* name) {
  return {"--trace", trace_file(name).string()};
}

TEST(PcscReader, ACardLeftOnTheReaderIsOneTap) {
  ReaderHarness h(reader_config(kReader0, "fast", {"jpki"}), identify_config());
  ASSERT_TRUE(settle(h, kReader0));
  {
    CardsimProcess sim(card("valid"), kReader0.port, trace_args("PcscReader.ACardLeftOnTheReaderIsOneTap"));
    auto first = h.next_read(10s);
    ASSERT_TRUE(first);
    EXPECT_TRUE(first->identity);
    EXPECT_TRUE(h.wait_state(ReaderState::card_present, 1s));
    // pcscd polls every 400 ms: several polls pass with the card still there.
    std::this_thread::sleep_for(2500ms);
    EXPECT_EQ(h.read_count(), 1u);
  }
  EXPECT_TRUE(h.wait_state(ReaderState::ready, 5s)) << "removal not noticed";
  CardsimProcess again(card("valid"), kReader0.port, trace_args("PcscReader.ACardLeftOnTheReaderIsOneTap"));
  EXPECT_TRUE(h.next_read(10s)) << "a card put back is a new tap";
  EXPECT_EQ(h.read_count(), 2u);
}

TEST(PcscReader, ACardPulledMidReadIsReadFailed) {
  ReaderHarness h(reader_config(kReader0, "verified", {"jpki"}), identify_config());
  ASSERT_TRUE(settle(h, kReader0));
  std::vector<std::string> args = trace_args("PcscReader.ACardPulledMidReadIsReadFailed");
  args.insert(args.end(), {"--fault", "remove-after:2"});
  CardsimProcess sim(card("valid"), kReader0.port, args);
  auto r = h.next_read(10s);
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->identity);
  EXPECT_EQ(r->identity.error().reason, "read_failed");
  EXPECT_TRUE(h.wait_state(ReaderState::ready, 5s));
  EXPECT_EQ(h.read_count(), 1u);
}

TEST(PcscReader, AReaderThatIsNotConnectedIsAnErrorAndNeverSpins) {
  ReaderConfig rc = reader_config(kReader0, "fast", {"jpki"});
  rc.pcsc_reader = "No Such Reader";
  ReaderHarness h(rc, identify_config());
  EXPECT_TRUE(h.wait_state(ReaderState::error, 5s, "reader not connected"));
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(h.states().size(), 1u) << "the state is reported once, not on every wait";
}

TEST(PcscReader, AReaderThatAppearsLaterBecomesReady) {
  if (!PcscDaemon::instance().started_here()) GTEST_SKIP() << "pcscd was not started by this test; not restarting it";
  PcscDaemon::instance().stop();
  // A pcscd that knows only Debian's two vpcd slots: the reader is absent.
  auto pcscd = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/sbin/pcscd", "-f", "-c", "/etc/reader.conf.d/vpcd"});
  ReaderHarness h(reader_config(kReader2, "fast", {"jpki"}), identify_config());
  EXPECT_TRUE(h.wait_state(ReaderState::error, 10s, "reader not connected"));
  pcscd.reset();
  PcscDaemon::instance().ensure();  // now with the fixture's two extra slots
  EXPECT_TRUE(h.wait_state(ReaderState::ready, 5s)) << "the reader did not become ready when it appeared";
  CardsimProcess sim(card("valid"), kReader2.port, trace_args("PcscReader.AReaderThatAppearsLaterBecomesReady"));
  auto r = h.next_read(10s);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->identity);
}

TEST(PcscReader, SurvivesPcscdRestartAndIsReadyWithinFiveSeconds) {
  if (!PcscDaemon::instance().started_here()) GTEST_SKIP() << "pcscd was not started by this test; not restarting it";
  ReaderHarness h(reader_config(kReader0, "fast", {"jpki"}), identify_config());
  ASSERT_TRUE(settle(h, kReader0));
  PcscDaemon::instance().stop();
  EXPECT_TRUE(h.wait_state(ReaderState::error, 5s)) << "pcscd's death was not reported";
  std::this_thread::sleep_for(1500ms);  // stay down across several back-off steps
  PcscDaemon::instance().ensure();
  const auto back = Clock::now();
  ASSERT_TRUE(h.wait_state(ReaderState::ready, 5s)) << "not ready within 5 s of pcscd's return";
  RecordProperty("ready_after_ms",
                 static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - back).count()));
  CardsimProcess sim(card("valid"), kReader0.port,
                     trace_args("PcscReader.SurvivesPcscdRestartAndIsReadyWithinFiveSeconds"));
  auto r = h.next_read(10s);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->identity) << r->identity.error().message;
}

}  // namespace
}  // namespace kazasu::test
