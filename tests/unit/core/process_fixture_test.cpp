// The test fixture's Process owns everything it starts: its destructor and
// stop() reach grandchildren through the process group, and the kernel kills
// the child when the process that started it dies (PR_SET_PDEATHSIG). This is
// what lets scripts/test end without killing anything by name.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

#include "process.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using test::Process;
using test::TempDir;

// Gone, or a zombie nobody reaped yet (whoever inherited it reaps it, or not,
// on its own time): either way it runs no more.
bool gone(pid_t pid) {
  const std::string stat = test::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return ::kill(pid, 0) != 0 && errno == ESRCH;
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  const char state = stat[paren + 2];
  return state == 'Z' || state == 'X';
}

bool gone_within(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!gone(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// The pid a shell wrote to `file` once the line is complete, or -1 after 5 s.
pid_t read_pid(const std::filesystem::path& file) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = test::read_file(file);
    if (!text.empty() && text.back() == '\n') return static_cast<pid_t>(std::stol(text));
    std::this_thread::sleep_for(10ms);
  }
  return -1;
}

std::vector<std::string> shell(const std::string& script) {
  return {"/bin/sh", "-c", script};
}

TEST(ProcessFixture, DestroyingAProcessKillsItsGrandchildren) {
  TempDir dir;
  const auto pid_file = dir.path() / "grandchild.pid";
  pid_t grandchild = -1;
  {
    Process p(shell("sleep 300 & echo $! > " + pid_file.string() + "; wait"), dir.path() / "sh.log");
    grandchild = read_pid(pid_file);
    ASSERT_GT(grandchild, 0) << p.output();
    ASSERT_FALSE(gone(grandchild));
  }
  EXPECT_TRUE(gone_within(grandchild, 5s)) << "the background sleep outlived its Process";
}

TEST(ProcessFixture, StopSignalsTheWholeGroup) {
  TempDir dir;
  const auto pid_file = dir.path() / "grandchild.pid";
  Process p(shell("sleep 300 & echo $! > " + pid_file.string() + "; wait"), dir.path() / "sh.log");
  const pid_t grandchild = read_pid(pid_file);
  ASSERT_GT(grandchild, 0) << p.output();
  EXPECT_EQ(p.stop(SIGTERM, 5s), 128 + SIGTERM);
  EXPECT_TRUE(gone_within(grandchild, 5s)) << "SIGTERM reached the shell only";
}

TEST(ProcessFixture, WhatAnExitedChildLeftBehindIsKilledWithIt) {
  TempDir dir;
  const auto pid_file = dir.path() / "grandchild.pid";
  pid_t grandchild = -1;
  {
    Process p(shell("sleep 300 & echo $! > " + pid_file.string()), dir.path() / "sh.log");
    EXPECT_EQ(p.wait(5s), 0) << p.output();
    grandchild = read_pid(pid_file);
    ASSERT_GT(grandchild, 0) << p.output();
    ASSERT_FALSE(gone(grandchild));
  }
  EXPECT_TRUE(gone_within(grandchild, 5s)) << "a process left by an exited child outlived its Process";
}

// A test process killed outright runs no destructor: the kernel's
// parent-death signal still ends what it started.
TEST(ProcessFixture, AChildDiesWithTheProcessThatStartedIt) {
  TempDir dir;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t helper = ::fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    // Stands in for a test process: starts a child, reports its pid, then
    // waits to be killed. Never returns into GoogleTest.
    ::close(fds[0]);
    try {
      Process child(shell("exec sleep 300"), dir.path() / "sleep.log");
      const pid_t pid = child.pid();
      if (::write(fds[1], &pid, sizeof pid) != static_cast<ssize_t>(sizeof pid)) ::_exit(1);
      ::close(fds[1]);
      while (true) ::pause();
    } catch (...) {
      ::_exit(1);
    }
  }
  ::close(fds[1]);
  pid_t child = -1;
  const ssize_t n = ::read(fds[0], &child, sizeof child);
  ::close(fds[0]);
  ASSERT_EQ(n, static_cast<ssize_t>(sizeof child));
  ASSERT_GT(child, 0);
  ASSERT_FALSE(gone(child));
  ASSERT_EQ(::kill(helper, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(helper, &status, 0), helper);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(gone_within(child, 5s)) << "the child outlived the process that started it";
}

}  // namespace
}  // namespace kazasu
