// Reload as IT staff use it (`systemctl reload` sends SIGHUP): a good config
// changes plugin settings and readers in the same process without losing a
// tap that was in flight; a bad one changes nothing and says why, in the log
// and in the retained status.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "broker.hpp"
#include "daemon.hpp"
#include "process.hpp"
#include "subscriber.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kRoot = "kazasu/v1/test-city/station-1/";

std::string station(const std::string& greeting, bool second_reader) {
  std::string body = "\n[plugins.example]\n[plugins.example.config]\ngreeting = \"" + greeting +
                     "\"\n\n[readers.counter-1]\ndriver = \"sim\"\nplugins = [\"example\"]\n"
                     "\n[sim.cards.alice]\nkind = \"jpki\"\nserial = \"0x1A2B3C4D\"\n";
  if (second_reader) body += "\n[readers.counter-2]\ndriver = \"sim\"\nplugins = [\"example\"]\n";
  return body;
}

class Reload : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = std::make_unique<test::Broker>(dir_.path() / "broker");
    daemon_ = std::make_unique<test::Daemon>(dir_.path(),
                                             test::daemon_config(dir_.path(), broker_->uri(), station("hello", false)));
    pc_ = std::make_unique<test::Subscriber>(broker_->uri(), "kazasu/v1/#");
    ASSERT_TRUE(pc_->next("/readers/counter-1", 10s));
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "kazasud log:\n" << daemon_->log();
  }
  void rewrite(const std::string& body) {
    test::write_file(daemon_->config_file(), test::daemon_config(dir_.path(), broker_->uri(), body));
  }
  // The next retained status that reports a reload (and lists `readers`, when given).
  json reload_status(size_t readers = 0) {
    for (auto m = pc_->next("/status", 10s); m; m = pc_->next("/status", 10s)) {
      const json s = json::parse(m->payload);
      EXPECT_EQ(s["state"], "online") << "a reload never shows the station offline";
      if (s.contains("reload") && (readers == 0 || s["readers"].size() == readers)) return s;
    }
    throw std::runtime_error("no status with a reload");
  }

  test::TempDir dir_;
  std::unique_ptr<test::Broker> broker_;
  std::unique_ptr<test::Daemon> daemon_;
  std::unique_ptr<test::Subscriber> pc_;
};

TEST_F(Reload, AGoodConfigChangesSettingsAndReadersInTheSameProcessAndLosesNoTap) {
  const pid_t pid = daemon_->pid();
  rewrite(station("ようこそ", true));
  // Taps keep coming while the reload happens; every tap kazasud accepted
  // (it answered with an id) must reach the subscriber.
  std::set<std::string> accepted;
  std::atomic<bool> reloaded{false};
  std::thread tapper([&] {
    for (int i = 0; accepted.size() < 60 && i < 2000; ++i) {
      try {
        accepted.insert(daemon_->tap("counter-1", "alice"));
      } catch (const std::exception&) {
        std::this_thread::sleep_for(20ms);  // the control socket is between two stations
      }
      if (accepted.size() == 20 && !reloaded.exchange(true)) ::kill(pid, SIGHUP);
    }
  });
  tapper.join();
  ASSERT_EQ(accepted.size(), 60u);
  std::set<std::string> seen;
  std::set<std::string> greetings;
  while (seen.size() < accepted.size()) {
    auto m = pc_->next("/example/seen", 10s);
    ASSERT_TRUE(m) << "received " << seen.size() << " of " << accepted.size();
    const json j = json::parse(m->payload);
    seen.insert(j["id"].get<std::string>());
    greetings.insert(j["greeting"].get<std::string>());
  }
  EXPECT_EQ(seen, accepted);
  EXPECT_EQ(greetings, (std::set<std::string>{"hello", "ようこそ"}));  // the setting changed mid-stream
  EXPECT_EQ(daemon_->pid(), pid);
  EXPECT_EQ(::kill(pid, 0), 0) << "the same kazasud still runs";

  const json s = reload_status(2);  // the new station's
  EXPECT_EQ(s["state"], "online");
  EXPECT_EQ(s["reload"]["ok"], true);
  EXPECT_EQ(s["readers"], json({"counter-1", "counter-2"}));
  const std::string id = daemon_->tap("counter-2", "alice");
  auto m = pc_->next("/example/seen", 10s);
  ASSERT_TRUE(m);
  EXPECT_EQ(json::parse(m->payload)["reader"], "counter-2");
  EXPECT_NE(daemon_->log().find("starting with the reloaded configuration"), std::string::npos);
}

TEST_F(Reload, ABadConfigChangesNothingAndSaysWhereItIsWrong) {
  const pid_t pid = daemon_->pid();
  rewrite(station("changed", true) + "\n[readers.counter-3]\ndriver = \"sim\"\nplugins = [\"example\"]\nspeed = 9\n");
  ASSERT_EQ(::kill(pid, SIGHUP), 0);
  const json s = reload_status();
  EXPECT_EQ(s["reload"]["ok"], false);
  ASSERT_FALSE(s["reload"]["errors"].empty());
  const std::string error = s["reload"]["errors"][0];
  EXPECT_NE(error.find(daemon_->config_file().string() + ":"), std::string::npos) << error;
  EXPECT_NE(error.find("readers.counter-3.speed"), std::string::npos) << error;
  EXPECT_EQ(s["readers"], json({"counter-1"}));
  EXPECT_NE(daemon_->log().find("reload refused"), std::string::npos);
  // Still the old station, still working.
  daemon_->tap("counter-1", "alice");
  auto m = pc_->next("/example/seen", 10s);
  ASSERT_TRUE(m);
  EXPECT_EQ(json::parse(m->payload)["greeting"], "hello");
  EXPECT_THROW(daemon_->tap("counter-2", "alice"), std::runtime_error);

  // Fixed: the next reload takes it.
  rewrite(station("changed", true));
  ASSERT_EQ(::kill(pid, SIGHUP), 0);
  EXPECT_EQ(reload_status()["reload"]["ok"], true);
}

}  // namespace
}  // namespace kazasu
