// A plugin that crashes kazasud again and again: each crash is recorded with
// the plugin that was running; after three within ten minutes it is kept
// unloaded (status, a retained alarm) while the station serves its other
// plugins, until staff clear it, which loads it again. A plugin that hangs
// instead stops the watchdog's feeding; the test plays systemd (WatchdogSec,
// WatchdogSignal=SIGABRT, Restart=on-failure) and the hang counts the same.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "broker.hpp"
#include "daemon.hpp"
#include "notify_socket.hpp"
#include "process.hpp"
#include "subscriber.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// One request on the control socket, as kazasuctl sends it.
json control(const std::filesystem::path& socket, const json& request) {
  const std::string answer = test::control_exchange(socket, request.dump() + "\n");
  if (answer.empty()) throw std::runtime_error("no answer on the control socket");
  return json::parse(answer);
}

TEST(Quarantine, APluginThatKeepsCrashingIsKeptOutUntilStaffClearIt) {
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker");
  const std::string extra = std::string(R"(
[plugins.example]
[plugins.crasher]
path = ")") + TEST_PLUGIN_DIR +
                            R"(/crasher.so"

[readers.counter-1]
driver = "sim"
plugins = ["example", "crasher"]

[sim.cards.alice]
kind = "jpki"
serial = "0x1A2B3C4D"
)";
  test::Daemon daemon(dir.path(), test::daemon_config(dir.path(), broker.uri(), extra));
  for (int crash = 1; crash <= 3; ++crash) {
    try {
      daemon.tap("counter-1", "alice");
    } catch (const std::exception&) {  // kazasuctl may lose the daemon before it answers
    }
    EXPECT_EQ(daemon.wait(10s), 128 + SIGSEGV) << "crash " << crash << "\n" << daemon.log();
    daemon.restart();
  }
  const std::string log = test::read_file(daemon.dir() / "data" / "crashes.log");
  size_t lines = 0;
  for (size_t at = log.find(" crasher SIGSEGV\n"); at != std::string::npos; at = log.find(" crasher SIGSEGV\n", at + 1))
    ++lines;
  EXPECT_EQ(lines, 3u) << log;

  // The fourth start keeps it out; the station serves the example plugin.
  const json status = control(daemon.dir() / "control.sock", {{"cmd", "status"}});
  bool kept_out = false;
  for (const auto& r : status["refused_plugins"])
    kept_out = kept_out || (r["name"] == "crasher" && r["reason"] == "quarantined");
  EXPECT_TRUE(kept_out) << status.dump();
  test::Subscriber pc(broker.uri(), "kazasu/v1/#");
  bool alarmed = false;
  for (auto m = pc.next("/daemon/alarm", 5s); m && !alarmed; m = pc.next("/daemon/alarm", 2s)) {
    const json a = json::parse(m->payload);
    for (const auto& x : a["active"]) alarmed = alarmed || x == "plugin_quarantined";
  }
  EXPECT_TRUE(alarmed);
  daemon.tap("counter-1", "alice");
  EXPECT_TRUE(pc.next("/example/seen", 10s)) << daemon.log();

  // Cleared: a reload loads it again (and the next tap would crash again).
  std::string out;
  EXPECT_EQ(test::run({test::kazasuctl_path(), "--socket", (daemon.dir() / "control.sock").string(), "plugins", "clear",
                       "crasher"},
                      out),
            0)
      << out;
  EXPECT_NE(out.find("plugin crasher cleared; kazasud is reloading"), std::string::npos) << out;
  bool loaded = false;
  for (int i = 0; i < 100 && !loaded; ++i) {
    std::this_thread::sleep_for(100ms);
    try {
      const json now = control(daemon.dir() / "control.sock", {{"cmd", "status"}});
      for (const auto& p : now["plugins"]) loaded = loaded || p["name"] == "crasher";
    } catch (const std::exception&) {  // between the two stations of the reload
    }
  }
  EXPECT_TRUE(loaded) << daemon.log();
  EXPECT_EQ(control(daemon.dir() / "control.sock", {{"cmd", "plugin_clear"}, {"plugin", "nope"}})["code"],
            "unknown_plugin");
}

// systemd, as far as kazasud can tell: NOTIFY_SOCKET and WATCHDOG_USEC, a
// SIGABRT when the watchdog goes unfed for WatchdogSec, and a restart after
// every failure. This machine's tests have no systemd of their own to run it.
TEST(Quarantine, APluginThatHangsIsKilledByTheWatchdogAndKeptOutAfterThree) {
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker");
  const std::string extra = std::string(R"(
[plugins.example]
[plugins.slow]
path = ")") + TEST_PLUGIN_DIR +
                            R"(/slow.so"
budget_ms = 100

[plugins.slow.config]
sleep_ms = 30000

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
  test::NotifySocket notify(dir.path() / "notify.sock");
  const auto start = [&] {
    return std::make_unique<test::Process>(
        std::vector<std::string>{"/usr/bin/env", "NOTIFY_SOCKET=" + (dir.path() / "notify.sock").string(),
                                 "WATCHDOG_USEC=1000000", test::kazasud_path(), "--config",
                                 (dir.path() / "kazasud.toml").string()},
        dir.path() / "kazasud.log");
  };
  const auto control_sock = dir.path() / "control.sock";
  std::unique_ptr<test::Process> kazasud;
  for (int round = 1; round <= 3; ++round) {
    kazasud = start();
    ASSERT_TRUE(notify.wait_for("READY=1", 10s)) << "round " << round << "\n" << kazasud->output();
    std::string out;
    ASSERT_EQ(test::run({test::kazasuctl_path(), "--socket", control_sock.string(), "tap", "--reader", "sluggish",
                         "--card", "alice"},
                        out),
              0)
        << out;
    // WatchdogSec=1: a second without WATCHDOG=1 and systemd sends WatchdogSignal.
    auto last_feed = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - last_feed < 1s) {
      auto m = notify.next(100ms);
      if (m && m->text.find("WATCHDOG=1") != std::string::npos) last_feed = m->at;
      ASSERT_LT(std::chrono::steady_clock::now() - last_feed, 20s);
    }
    EXPECT_EQ(kazasud->stop(SIGABRT, 5s), 128 + SIGABRT) << "round " << round;
    EXPECT_NE(kazasud->output().find("watchdog not fed: a part of kazasud makes no progress part=\"plugin slow\""),
              std::string::npos)
        << kazasud->output();
    kazasud.reset();  // Restart=on-failure
  }
  const std::string log = test::read_file(dir.path() / "data" / "crashes.log");
  size_t hangs = 0;
  for (size_t at = log.find(" slow hang\n"); at != std::string::npos; at = log.find(" slow hang\n", at + 1)) ++hangs;
  EXPECT_EQ(hangs, 3u) << log;

  kazasud = start();
  ASSERT_TRUE(notify.wait_for("READY=1", 10s)) << kazasud->output();
  const json status = control(control_sock, {{"cmd", "status"}});
  bool kept_out = false;
  for (const auto& r : status["refused_plugins"])
    kept_out = kept_out || (r["name"] == "slow" && r["reason"] == "quarantined");
  EXPECT_TRUE(kept_out) << status.dump();
  test::Subscriber pc(broker.uri(), "kazasu/v1/#");
  std::string out;
  ASSERT_EQ(test::run({test::kazasuctl_path(), "--socket", control_sock.string(), "tap", "--reader", "counter-1",
                       "--card", "alice"},
                      out),
            0)
      << out;
  EXPECT_TRUE(pc.next("/example/seen", 10s)) << "the station's other plugin stopped serving";
  // Fed again: nothing left hangs.
  EXPECT_TRUE(notify.wait_for("WATCHDOG=1", 3s));
  kazasud->stop(SIGTERM, 5s);
}

}  // namespace
}  // namespace kazasu
