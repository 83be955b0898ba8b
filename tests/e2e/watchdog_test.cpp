// kazasud under a watchdog as systemd runs it: NOTIFY_SOCKET and
// WATCHDOG_USEC point at a datagram socket this test reads. The daemon says
// READY=1, keeps STATUS= current, and feeds WATCHDOG=1 only while every part
// makes progress: a plugin stuck inside a tap stops the feeding (systemd would
// restart kazasud) and the log names it; when it returns, feeding resumes.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "broker.hpp"
#include "daemon.hpp"
#include "notify_socket.hpp"
#include "process.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using test::NotifySocket;

std::vector<Clock::time_point> feeds(const std::vector<NotifySocket::Message>& ms) {
  std::vector<Clock::time_point> out;
  for (const auto& m : ms) {
    if (m.text.find("WATCHDOG=1") != std::string::npos) out.push_back(m.at);
  }
  return out;
}

TEST(Watchdog, FedOnlyWhileEveryPartMakesProgress) {
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker");
  const std::string extra = std::string(R"(
[plugins.example]
[plugins.slow]
path = ")") + TEST_PLUGIN_DIR +
                            R"(/slow.so"
budget_ms = 100
[plugins.slow.config]
sleep_ms = 4000

[readers.counter-1]
driver = "sim"
plugins = ["example"]
[readers.sluggish]
driver = "sim"
plugins = ["slow"]

[sim.cards.alice]
kind = "jpki"
serial = "0x1A2B3C4D"
)";
  test::write_file(dir.path() / "kazasud.toml", test::daemon_config(dir.path(), broker.uri(), extra));
  test::write_file(dir.path() / "site.secret", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
                   0600);
  NotifySocket notify(dir.path() / "notify.sock");
  // WATCHDOG_USEC 1 s: kazasud feeds every 0.5 s and stops after a whole second without progress.
  test::Process kazasud(
      {"/usr/bin/env", "NOTIFY_SOCKET=" + (dir.path() / "notify.sock").string(), "WATCHDOG_USEC=1000000",
       test::kazasud_path(), "--config", (dir.path() / "kazasud.toml").string()},
      dir.path() / "kazasud.log");
  const auto calm = notify.collect(3s);
  bool ready = false;
  bool status = false;
  for (const auto& m : calm) {
    ready = ready || m.text.find("READY=1") != std::string::npos;
    status = status || m.text.find("STATUS=readers 2/2 ready; broker connected") != std::string::npos;
  }
  EXPECT_TRUE(ready) << kazasud.output();
  EXPECT_TRUE(status) << kazasud.output();
  EXPECT_GE(feeds(calm).size(), 4u) << "fed about twice a second while all is well";

  // The slow plugin holds its strand for 4 s (its tap timed out after 100 ms).
  std::string out;
  ASSERT_EQ(test::run({test::kazasuctl_path(), "--socket", (dir.path() / "control.sock").string(), "tap", "--reader",
                       "sluggish", "--card", "alice"},
                      out),
            0)
      << out;
  const auto stuck = notify.collect(6s);
  const auto f = feeds(stuck);
  ASSERT_FALSE(f.empty()) << "feeding never resumed";
  Clock::duration longest{0};
  auto prev = stuck.empty() ? Clock::now() : stuck.front().at;
  for (const auto& t : f) {
    longest = std::max(longest, t - prev);
    prev = t;
  }
  EXPECT_GE(longest, 1500ms) << "the watchdog was fed while a plugin was stuck";
  EXPECT_NE(kazasud.output().find("watchdog not fed: a part of kazasud makes no progress part=\"plugin slow\""),
            std::string::npos)
      << kazasud.output();
  EXPECT_GE(f.size(), 2u) << "fed again once the plugin returned";
  kazasud.stop(SIGTERM, 5s);
}

}  // namespace
}  // namespace kazasu
