// Bytes on the control socket that once stopped kazasud: an unknown command
// whose name, cut at 64 bytes for the refusal, ended inside a UTF-8
// character made the reply's JSON throw on the io thread (found by fuzzing
// the control socket; the input is tests/fuzz/regressions' too).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "broker.hpp"
#include "daemon.hpp"
#include "process.hpp"

namespace kazasu {
namespace {

std::string exchange(const std::filesystem::path& socket, const std::string& line) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  [[maybe_unused]] const ssize_t w = ::write(fd, line.data(), line.size());
  std::string answer;
  char buf[4096];
  while (answer.find('\n') == std::string::npos) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

TEST(ControlBytes, AnUnknownCommandCutInsideAUtf8CharacterIsRefusedNotFatal) {
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker");
  test::Daemon daemon(dir.path(), test::daemon_config(dir.path(), broker.uri(), test::kExampleStation));
  const std::string request = "{\"cmd\":\"" + std::string(63, 'a') + "\xc3\xa9\"}\n";
  const std::string answer = exchange(dir.path() / "control.sock", request);
  ASSERT_FALSE(answer.empty()) << daemon.log();
  const auto reply = nlohmann::json::parse(answer);
  EXPECT_EQ(reply["ok"], false);
  EXPECT_EQ(reply["code"], "unknown_command");
  EXPECT_EQ(::kill(daemon.pid(), 0), 0);
  EXPECT_FALSE(daemon.tap("counter-1", "alice").empty()) << "kazasud still answers";
}

}  // namespace
}  // namespace kazasu
