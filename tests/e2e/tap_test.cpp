// The walking skeleton end to end: a real mosquitto on a loopback port, a real
// kazasud process, taps through `kazasuctl tap`, and a subscriber that sees
// what a facility PC would see.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "broker.hpp"
#include "daemon.hpp"
#include "process.hpp"
#include "subscriber.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kExtra = R"(
[plugins.example]
[plugins.example.config]
greeting = "hello"

[plugins.thrower]
path = ")" TEST_PLUGIN_DIR R"(/thrower.so"

[plugins.slow]
path = ")" TEST_PLUGIN_DIR R"(/slow.so"
budget_ms = 100
[plugins.slow.config]
sleep_ms = 400

[readers.counter-1]
driver = "sim"
plugins = ["example"]
accept = ["jpki", "uid"]

[readers.faulty]
driver = "sim"
plugins = ["thrower", "example"]

[readers.sluggish]
driver = "sim"
plugins = ["slow"]

[readers.door]
driver = "sim"
plugins = ["example"]
accept = ["jpki"]

[sim.cards.alice]
kind = "jpki"
serial = "0x1A2B3C4D"

[sim.cards.badge]
kind = "uid"
uid = "04A1B2C3"

[sim.cards.worn]
kind = "jpki"
serial = "0x00"
result = "read_failed"
message = "the card was removed during the read"
)";

const std::string kTopicRoot = "kazasu/v1/test-city/station-1/";

class TapEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = std::make_unique<test::Broker>(dir_.path() / "broker");
    daemon_ = std::make_unique<test::Daemon>(dir_.path(), test::daemon_config(dir_.path(), broker_->uri(), kExtra));
    sub_ = std::make_unique<test::Subscriber>(broker_->uri(), "kazasu/v1/#");
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "kazasud log:\n" << daemon_->log();
  }

  json next(const std::string& suffix, std::chrono::milliseconds timeout = 5s) {
    auto m = sub_->next(suffix, timeout);
    if (!m) throw std::runtime_error("no message on ..." + suffix);
    return json::parse(m->payload);
  }

  test::TempDir dir_;
  std::unique_ptr<test::Broker> broker_;
  std::unique_ptr<test::Daemon> daemon_;
  std::unique_ptr<test::Subscriber> sub_;
};

TEST_F(TapEndToEnd, StatusIsRetainedOnline) {
  ASSERT_TRUE(sub_->next("/status", 5s));
  // A facility PC that connects later still learns the station's state.
  test::Subscriber late(broker_->uri(), "kazasu/v1/#");
  auto m = late.next("/status", 5s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, kTopicRoot + "status");
  EXPECT_TRUE(m->retained);
  const json s = json::parse(m->payload);
  EXPECT_EQ(s["schema"], "kazasu/v1/status");
  EXPECT_EQ(s["state"], "online");
  EXPECT_EQ(s["plugins"].size(), 3u);
  EXPECT_EQ(s["readers"], json({"counter-1", "door", "faulty", "sluggish"}));
  auto r = late.next("/readers/counter-1", 5s);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->retained);
  EXPECT_EQ(json::parse(r->payload)["state"], "ready");
}

TEST_F(TapEndToEnd, TapReachesTheSubscriberWithTheContractFields) {
  const std::string id = daemon_->tap("counter-1", "alice");
  EXPECT_TRUE(std::regex_match(id, std::regex("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")))
      << id;
  auto m = sub_->next("/example/seen", 5s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, kTopicRoot + "example/seen");
  EXPECT_FALSE(m->retained);
  const json o = json::parse(m->payload);
  EXPECT_EQ(o["schema"], "kazasu/v1/example/seen");
  EXPECT_EQ(o["id"], id);
  EXPECT_TRUE(std::regex_match(o["ts"].get<std::string>(),
                               std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$)")))
      << o["ts"];
  EXPECT_EQ(o["site"], "test-city");
  EXPECT_EQ(o["station"], "station-1");
  EXPECT_EQ(o["reader"], "counter-1");
  EXPECT_EQ(o["plugin"], "example");
  EXPECT_EQ(o["greeting"], "hello");
  EXPECT_EQ(o["taps"], 1);
  EXPECT_TRUE(std::regex_match(o["token"].get<std::string>(), std::regex("^[0-9a-f]{64}$")));
  // The raw serial never appears.
  EXPECT_EQ(m->payload.find("1A2B3C4D"), std::string::npos);

  daemon_->tap("counter-1", "alice");
  EXPECT_EQ(next("/example/seen")["taps"], 2);  // counted per token in the plugin's own database
}

TEST_F(TapEndToEnd, FailedReadAndRefusedKindReachThePlugin) {
  daemon_->tap("counter-1", "worn");
  json o = next("/example/refused");
  EXPECT_EQ(o["status"], "read_failed");
  EXPECT_EQ(o["message"], "the card was removed during the read");
  daemon_->tap("door", "badge");
  o = next("/example/refused");
  EXPECT_EQ(o["status"], "card_not_accepted");
}

TEST_F(TapEndToEnd, ThrowingPluginGivesAnErrorOutcomeAndTheDaemonLives) {
  const std::string id = daemon_->tap("faulty", "alice");
  const json err = next("/thrower/error");
  EXPECT_EQ(err["id"], id);
  EXPECT_EQ(err["reason"], "plugin_error");
  EXPECT_EQ(err["schema"], "kazasu/v1/thrower/error");
  // The other plugin on the same reader still answered the same tap.
  EXPECT_EQ(next("/example/seen")["id"], id);
  const json status = daemon_->status();
  EXPECT_EQ(status["mqtt"], "connected");
  for (const auto& p : status["plugins"]) {
    if (p["name"] == "thrower") {
      EXPECT_EQ(p["errors"], 1);
    }
  }
}

TEST_F(TapEndToEnd, SlowPluginGetsATimeoutAndItsOutcomeIsDropped) {
  const std::string id = daemon_->tap("sluggish", "alice");
  const json err = next("/slow/error");
  EXPECT_EQ(err["id"], id);
  EXPECT_EQ(err["reason"], "timeout");
  EXPECT_FALSE(sub_->next("/slow/late", 1s)) << "a timed-out tap's outcome must be rolled back";
}

TEST_F(TapEndToEnd, UnknownCardOrReaderIsAClearError) {
  std::string out;
  EXPECT_EQ(test::run({test::kazasuctl_path(), "--socket", (dir_.path() / "control.sock").string(), "tap", "--reader",
                       "counter-1", "--card", "nobody"},
                      out),
            1);
  EXPECT_EQ(out, "kazasuctl: no simulated card named \"nobody\" in [sim.cards]\n");
  EXPECT_EQ(test::run({test::kazasuctl_path(), "--socket", (dir_.path() / "control.sock").string(), "tap", "--reader",
                       "nowhere", "--card", "alice"},
                      out),
            1);
  EXPECT_EQ(out, "kazasuctl: no reader named \"nowhere\"\n");
}

TEST_F(TapEndToEnd, KilledDaemonTurnsStatusOffline) {
  auto online = sub_->next("/status", 5s);
  ASSERT_TRUE(online);
  ASSERT_EQ(json::parse(online->payload)["state"], "online");
  daemon_->stop(SIGKILL, 5s);
  // The broker publishes the Last Will as soon as the connection drops.
  const json s = next("/status", 10s);
  EXPECT_EQ(s["state"], "offline");
}

TEST_F(TapEndToEnd, SigtermStopsWithinOneSecondAndSaysOffline) {
  ASSERT_TRUE(sub_->next("/status", 5s));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(daemon_->stop(SIGTERM, 3s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_EQ(next("/status")["state"], "offline");
  EXPECT_NE(daemon_->log().find("<5>kazasud stopped"), std::string::npos);
}

TEST_F(TapEndToEnd, OutcomesCommittedWhileTheBrokerIsDownArriveLater) {
  ASSERT_TRUE(sub_->next("/status", 5s));
  sub_.reset();
  broker_->stop();
  const std::string id = daemon_->tap("counter-1", "alice");
  broker_->start();
  sub_ = std::make_unique<test::Subscriber>(broker_->uri(), "kazasu/v1/#");
  EXPECT_EQ(next("/example/seen", 15s)["id"], id);
}

}  // namespace
}  // namespace kazasu

namespace kazasu {
namespace {

// Timers run on the host's clock, which a test may move: a plugin's timer set
// for a day ahead fires as soon as the clock is set past it.
TEST(Timers, FireWhenTheSettableClockPassesTheirDueTime) {
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker");
  const int64_t a_day_ahead =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count() +
      86400000;
  const std::string extra = "[plugins.ticker]\npath = \"" TEST_PLUGIN_DIR
                            "/ticker.so\"\n[plugins.ticker.config]\n"
                            "fire_at_unix_ms = " +
                            std::to_string(a_day_ahead) + "\n[diagnostics]\nsettable_clock = true\n";
  test::Daemon daemon(dir.path(), test::daemon_config(dir.path(), broker.uri(), extra));
  test::Subscriber sub(broker.uri(), "kazasu/v1/#");
  ASSERT_TRUE(sub.next("/status", 5s));
  EXPECT_FALSE(sub.next("/ticker/tick", 1s)) << "fired before its time";

  std::string out;
  ASSERT_EQ(test::run({test::kazasuctl_path(), "--socket", (dir.path() / "control.sock").string(), "clock", "set",
                       "2099-01-01T00:00:00+09:00"},
                      out),
            0)
      << out;
  // Printed in the daemon's own zone: the 1st of January in Japan is still the 31st in UTC.
  EXPECT_TRUE(out.rfind("2099-01-01T", 0) == 0 || out.rfind("2098-12-31T", 0) == 0) << out;
  auto tick = sub.next("/ticker/tick", 5s);
  ASSERT_TRUE(tick) << daemon.log();
  const json t = json::parse(tick->payload);
  EXPECT_EQ(t["timer"], 7);
  EXPECT_GE(t["now_unix_ms"].get<int64_t>(), 4070876400000);  // 2099-01-01T00:00:00+09:00
  EXPECT_EQ(t["reader"], "");
  // Its retained state is there for whoever subscribes later.
  test::Subscriber late(broker.uri(), "kazasu/v1/+/+/ticker/last_tick");
  auto state = late.next("/ticker/last_tick", 5s);
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->retained);
  EXPECT_EQ(json::parse(state->payload)["timer"], 7);
}

TEST(Timers, ClockIsNotSettableUnlessTheConfigSaysSo) {
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker");
  test::Daemon daemon(dir.path(), test::daemon_config(dir.path(), broker.uri(), ""));
  std::string out;
  EXPECT_EQ(test::run({test::kazasuctl_path(), "--socket", (dir.path() / "control.sock").string(), "clock", "set",
                       "2099-01-01T00:00:00+09:00"},
                      out),
            1);
  EXPECT_EQ(out, "kazasuctl: the clock is not settable ([diagnostics] settable_clock)\n");
}

}  // namespace
}  // namespace kazasu
