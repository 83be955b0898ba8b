// The PostgreSQL fixture leaves nothing behind when its test process dies
// without unwinding: a crash or a ctest timeout must not leave clusters running
// (the postmaster runs as another user when the tests run as root, so the
// kernel's parent-death signal cannot stop it).
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "process.hpp"

namespace kazasu::test {
namespace {

using namespace std::chrono_literals;

TEST(PostgresFixture, AClusterOutlivesNoTestProcess) {
  std::string out;
  const int rc = run({KAZASU_POSTGRES_ORPHAN}, out, 120s);
  ASSERT_EQ(rc, 128 + SIGKILL) << out;
  std::istringstream line(out);
  std::string dir;
  int port = 0;
  line >> dir >> port;
  ASSERT_FALSE(dir.empty()) << out;
  ASSERT_GT(port, 0) << out;

  // The watcher gives the postmaster up to 5 s to shut down before SIGKILL.
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    gone = !std::filesystem::exists(dir) && !wait_for_port(port, 50ms);
    if (!gone) std::this_thread::sleep_for(100ms);
  }
  EXPECT_FALSE(wait_for_port(port, 200ms)) << "a cluster still accepts on port " << port;
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir << " is still there";
}

}  // namespace
}  // namespace kazasu::test
