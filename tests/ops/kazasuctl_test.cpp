// kazasuctl against a running kazasud: every subcommand as a person reads it
// and as a script reads it (--json), the exit codes, the suggestion for a
// mistyped subcommand, `tail` following a tap's outcome, and the sentence for
// someone outside the kazasu group.
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include "ops_fixture.hpp"

namespace kazasu::test {
namespace {

using nlohmann::json;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(OpsTest, StatusIsATableForPeopleAndJsonForScripts) {
  std::string out;
  ASSERT_EQ(ctl({"status"}, out), 0) << out;
  EXPECT_TRUE(contains(out, "test-city/station-1  online")) << out;
  EXPECT_TRUE(contains(out, "PLUGIN")) << out;
  EXPECT_TRUE(contains(out, "example")) << out;
  EXPECT_TRUE(contains(out, "refused: not_found")) << out;
  const json s = ctl_json({"status"});
  EXPECT_EQ(s["state"], "online");
  EXPECT_EQ(s["readers"], json({"counter-1"}));
  EXPECT_EQ(s["plugins"][0]["name"], "example");
}

TEST_F(OpsTest, ReadersShowDriverStateAndWhatTheirTapsDid) {
  const std::string id = daemon_->tap("counter-1", "alice");
  json r;
  for (int i = 0; i < 100; ++i) {
    r = ctl_json({"readers"});
    if (r["readers"][0]["outcomes"].contains("example/seen")) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(r["readers"].size(), 1u) << r;
  const json& c = r["readers"][0];
  EXPECT_EQ(c["name"], "counter-1");
  EXPECT_EQ(c["driver"], "sim");
  EXPECT_EQ(c["state"], "ready");
  EXPECT_EQ(c["plugins"], json({"example"}));
  EXPECT_EQ(c["taps"], 1);
  EXPECT_EQ(c["last_status"], "ok");
  EXPECT_TRUE(c["last_tap"].is_string());
  EXPECT_EQ(c["outcomes"]["example/seen"], 1);

  std::string out;
  ASSERT_EQ(ctl({"readers"}, out), 0) << out;
  EXPECT_TRUE(contains(out, "READER")) << out;
  EXPECT_TRUE(contains(out, "counter-1")) << out;
  EXPECT_TRUE(contains(out, "example/seen 1")) << out;
}

TEST_F(OpsTest, PluginsShowVersionAbiStateAndRefusedOnes) {
  daemon_->tap("counter-1", "alice");
  const json p = ctl_json({"plugins"});
  ASSERT_EQ(p["plugins"].size(), 2u) << p;
  const json& example = p["plugins"][0];
  EXPECT_EQ(example["name"], "example");
  EXPECT_EQ(example["state"], "running");
  EXPECT_TRUE(example["version"].is_string());
  EXPECT_EQ(example["abi"].get<std::string>().substr(0, 2), "1.");
  EXPECT_TRUE(example["queued"].is_number());
  const json& gone = p["plugins"][1];
  EXPECT_EQ(gone["name"], "gone");
  EXPECT_EQ(gone["state"], "refused");
  EXPECT_EQ(gone["reason"], "not_found");

  std::string out;
  ASSERT_EQ(ctl({"plugins"}, out), 0) << out;
  EXPECT_TRUE(contains(out, "running")) << out;
  EXPECT_TRUE(contains(out, "gone (not_found)")) << out;
}

TEST_F(OpsTest, VersionNamesBothAndSaysWhenTheDaemonIsAway) {
  std::string out;
  ASSERT_EQ(ctl({"version"}, out), 0) << out;
  EXPECT_TRUE(contains(out, "kazasuctl ")) << out;
  EXPECT_TRUE(contains(out, "kazasud ")) << out;
  EXPECT_TRUE(contains(out, "plugin ABI 1.")) << out;
  const json v = ctl_json({"version"});
  EXPECT_EQ(v["kazasud"]["version"], v["kazasuctl"]);

  ASSERT_EQ(run({kazasuctl_path(), "--socket", (dir_.path() / "nowhere.sock").string(), "version"}, out), 0);
  EXPECT_TRUE(contains(out, "kazasud: not reachable (kazasud is not running")) << out;
}

TEST_F(OpsTest, AMistypedSubcommandGetsTheNearestOne) {
  std::string out;
  EXPECT_EQ(ctl({"stauts"}, out), 2);
  EXPECT_TRUE(contains(out, "unknown subcommand 'stauts'; did you mean 'status'?")) << out;
  EXPECT_EQ(ctl({"plugin"}, out), 2);
  EXPECT_TRUE(contains(out, "did you mean 'plugins'?")) << out;
  EXPECT_EQ(ctl({"frobnicate"}, out), 2);
  EXPECT_TRUE(contains(out, "unknown subcommand 'frobnicate'")) << out;
  EXPECT_FALSE(contains(out, "did you mean")) << out;
}

TEST_F(OpsTest, ExitCodesSayWhatHappened) {
  std::string out;
  // 0: done.
  EXPECT_EQ(ctl({"tap", "--reader", "counter-1", "--card", "alice"}, out), 0) << out;
  // 1: kazasud refused; with --json the refusal is on stdout too.
  EXPECT_EQ(ctl({"tap", "--reader", "nowhere", "--card", "alice"}, out), 1);
  EXPECT_EQ(out, "kazasuctl: no reader named \"nowhere\"\n");
  EXPECT_EQ(ctl({"--json", "tap", "--reader", "nowhere", "--card", "alice"}, out), 1);
  EXPECT_TRUE(contains(out, R"("code":"unknown_reader")")) << out;
  // 2: usage.
  EXPECT_EQ(ctl({"tap", "--reader", "counter-1"}, out), 2);
  EXPECT_EQ(ctl({"status", "extra"}, out), 2);
  EXPECT_EQ(run({kazasuctl_path()}, out), 2);
  // 4: nobody listens.
  EXPECT_EQ(run({kazasuctl_path(), "--socket", (dir_.path() / "nowhere.sock").string(), "status"}, out), 4);
  EXPECT_TRUE(contains(out, "kazasud is not running")) << out;
  // --help lists the codes.
  EXPECT_EQ(run({kazasuctl_path(), "--help"}, out), 0);
  EXPECT_TRUE(contains(out, "3 the audit log is broken")) << out;
}

TEST_F(OpsTest, TailFollowsATapsOutcomeAsTheSubscriberGetsIt) {
  Subscriber pc(broker_->uri(), kRoot + "#");
  const auto out_file = dir_.path() / "tail.out";
  Process tail({kazasuctl_path(), "--socket", socket(), "--json", "tail", "--count", "1"}, out_file);
  // Tap until the tail has one: its subscription races the first tap.
  std::vector<std::string> ids;
  for (int i = 0; i < 50 && tail.running(); ++i) {
    ids.push_back(daemon_->tap("counter-1", "alice"));
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(tail.wait(5s), 0) << tail.output();
  std::istringstream lines(tail.output());
  std::string first;
  std::getline(lines, first);
  const json line = json::parse(first);
  EXPECT_EQ(line["topic"], kRoot + "example/seen");
  const json& payload = line["payload"];
  EXPECT_NE(std::find(ids.begin(), ids.end(), payload["id"].get<std::string>()), ids.end()) << first;
  EXPECT_EQ(payload["reader"], "counter-1");
  // The same payload a subscriber of the broker gets.
  bool same = false;
  for (size_t i = 0; i < ids.size() && !same; ++i) {
    auto m = pc.next("/example/seen", 5s);
    ASSERT_TRUE(m);
    if (json::parse(m->payload)["id"] == payload["id"]) {
      EXPECT_EQ(json::parse(m->payload), payload);
      same = true;
    }
  }
  EXPECT_TRUE(same);
}

TEST_F(OpsTest, TailForPeopleIsOneLinePerOutcome) {
  Process tail({kazasuctl_path(), "--socket", socket(), "tail", "--count", "1"}, dir_.path() / "tail.out");
  for (int i = 0; i < 50 && tail.running(); ++i) {
    daemon_->tap("counter-1", "alice");
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(tail.wait(5s), 0) << tail.output();
  EXPECT_TRUE(contains(tail.output(), "counter-1  example/seen  ")) << tail.output();
}

TEST_F(OpsTest, ASlowTailClientIsDroppedAndToldHowManyOutcomesItLost) {
  const int fd = connect_socket();
  const std::string req = R"({"cmd":"tail"})"
                          "\n";
  ASSERT_EQ(::write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  // The client reads nothing while taps flow: the socket's buffer fills, then the stream's queue.
  for (int i = 0; i < 3000; ++i) {
    const json r = request({{"cmd", "tap"}, {"reader", "counter-1"}, {"card", "alice"}});
    ASSERT_EQ(r["ok"], true) << r;
  }
  // When it reads again it gets what was on its way, then the last line, then the end.
  std::string all;
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    all.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  ASSERT_GT(all.size(), 1u);
  all.pop_back();  // the last newline
  const json last = json::parse(all.substr(all.rfind('\n') + 1));
  EXPECT_EQ(last["code"], "slow_client") << last;
  EXPECT_GE(last["dropped"].get<int>(), 1);
  const size_t lines = static_cast<size_t>(std::count(all.begin(), all.end(), '\n'));
  EXPECT_LT(lines, 3000u) << "outcomes were dropped, so fewer lines arrived than taps";
  // kazasud goes on answering.
  std::string out;
  EXPECT_EQ(ctl({"status"}, out), 0) << out;
}

TEST_F(OpsTest, CheckConfigRunsKazasudCheck) {
  ::setenv("KAZASUD_DIR", KAZASUD_DIR, 1);
  std::string out;
  const auto good = dir_.path() / "good.toml";
  write_file(good, daemon_config(dir_.path(), broker_->uri(), kExampleStation));
  EXPECT_EQ(ctl({"check-config", good.string()}, out), 0) << out;
  EXPECT_TRUE(contains(out, ": ok")) << out;
  const auto bad = dir_.path() / "bad.toml";
  write_file(bad, daemon_config(dir_.path(), broker_->uri(), "[readers.x]\ndriver = \"sim\"\nspeed = 9\n"));
  EXPECT_EQ(ctl({"check-config", bad.string()}, out), 1) << out;
  EXPECT_TRUE(contains(out, bad.string() + ":")) << out;
  EXPECT_TRUE(contains(out, "readers.x.speed")) << out;
  EXPECT_EQ(ctl({"--json", "check-config", bad.string()}, out), 1) << out;
  const json j = json::parse(out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_FALSE(j["errors"].empty());
  EXPECT_EQ(ctl({"check-config"}, out), 2);
}

TEST_F(OpsTest, SomeoneOutsideTheKazasuGroupIsToldWhy) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run kazasuctl as another user (nobody)";
  const passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user nobody";
  const auto out_file = dir_.path() / "nobody.out";
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::FILE* f = std::fopen(out_file.c_str(), "w");
    if (f == nullptr) ::_exit(100);
    ::dup2(::fileno(f), 1);
    ::dup2(::fileno(f), 2);
    if (::setgroups(0, nullptr) != 0 || ::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) ::_exit(101);
    const std::string ctl_path = kazasuctl_path();
    const std::string sock = socket();
    ::execl(ctl_path.c_str(), ctl_path.c_str(), "--socket", sock.c_str(), "status", static_cast<char*>(nullptr));
    ::_exit(102);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  const std::string out = read_file(out_file);
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 4) << out;
  EXPECT_TRUE(contains(out, "permission denied")) << out;
  EXPECT_TRUE(contains(out, "members of the kazasu group")) << out;
}

}  // namespace
}  // namespace kazasu::test
