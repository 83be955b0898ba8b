// Bytes on the control socket that once stopped kazasud: an unknown command
// whose name, cut at 64 bytes for the refusal, ended inside a UTF-8
// character made the reply's JSON throw on the io thread (found by fuzzing
// the control socket; the input is tests/fuzz/regressions' too).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <poll.h>

#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>

#include "broker.hpp"
#include "daemon.hpp"
#include "process.hpp"

namespace kazasu {
namespace {

TEST(ControlBytes, AnUnknownCommandCutInsideAUtf8CharacterIsRefusedNotFatal) {
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker");
  test::Daemon daemon(dir.path(), test::daemon_config(dir.path(), broker.uri(), test::kExampleStation));
  const std::string request = "{\"cmd\":\"" + std::string(63, 'a') + "\xc3\xa9\"}\n";
  const std::string answer = test::control_exchange(dir.path() / "control.sock", request);
  ASSERT_FALSE(answer.empty()) << daemon.log();
  const auto reply = nlohmann::json::parse(answer);
  EXPECT_EQ(reply["ok"], false);
  EXPECT_EQ(reply["code"], "unknown_command");
  EXPECT_EQ(::kill(daemon.pid(), 0), 0);
  EXPECT_FALSE(daemon.tap("counter-1", "alice").empty()) << "kazasud still answers";
}

// True when `fd` has something to read (or was closed by the peer) within `ms`.
bool readable_within(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

// The control socket's limits at their edges: 16 sessions at once (the 17th
// waits in the backlog, unanswered), a session silent for 10 s is dropped,
// and then the waiting one is served.
TEST(ControlLimits, SixteenSilentSessionsHoldTheSeventeenthUntilTheirTimeout) {
  using Clock = std::chrono::steady_clock;
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker");
  test::Daemon daemon(dir.path(), test::daemon_config(dir.path(), broker.uri(), test::kExampleStation));
  const auto sock = dir.path() / "control.sock";
  const auto opened = Clock::now();
  std::vector<int> silent;
  for (int i = 0; i < 16; ++i) {
    const int fd = test::control_connect(sock);
    ASSERT_GE(fd, 0);
    silent.push_back(fd);
  }
  const int waiting = test::control_connect(sock);  // accepted by the kernel, not yet by kazasud
  ASSERT_GE(waiting, 0);
  const std::string line = "{\"cmd\":\"version\"}\n";
  ASSERT_EQ(::write(waiting, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  EXPECT_FALSE(readable_within(waiting, 3000)) << "a 17th session was served while 16 were open";
  // kRequestTimeout (10 s) after they connected, the silent ones are closed by kazasud ...
  ASSERT_TRUE(readable_within(waiting, 15000)) << "the waiting session was never served";
  const double waited = std::chrono::duration<double>(Clock::now() - opened).count();
  for (int fd : silent) {
    EXPECT_TRUE(readable_within(fd, 1000));
    char c;
    EXPECT_LE(::read(fd, &c, 1), 0) << "a silent session was answered instead of closed";
    ::close(fd);
  }
  // ... and the 17th is answered.
  char buf[512];
  const ssize_t n = ::read(waiting, buf, sizeof buf);
  ::close(waiting);
  ASSERT_GT(n, 0);
  std::printf("[ limits ] 16 silent sessions; the 17th was answered after %.1f s\n", waited);
  EXPECT_NE(std::string(buf, static_cast<size_t>(n)).find("\"ok\":true"), std::string::npos);
  EXPECT_GE(waited, 9.0);
}

}  // namespace
}  // namespace kazasu
