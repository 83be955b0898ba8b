// A plugin that crashes kazasud again and again: each crash is recorded with
// the plugin that was running; after three within ten minutes it is kept
// unloaded (status, a retained alarm) while the station serves its other
// plugins, until staff clear it, which loads it again.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "broker.hpp"
#include "daemon.hpp"
#include "process.hpp"
#include "subscriber.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// One request on the control socket, as kazasuctl sends it.
json control(const std::filesystem::path& socket, const json& request) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to the control socket");
  }
  const std::string line = request.dump() + "\n";
  [[maybe_unused]] const ssize_t w = ::write(fd, line.data(), line.size());
  std::string answer;
  char buf[4096];
  while (answer.find('\n') == std::string::npos) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return json::parse(answer.substr(0, answer.find('\n')));
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

}  // namespace
}  // namespace kazasu
