// Commands from a facility PC through a real mosquitto to a real kazasud:
// the reply arrives on the MQTT v5 response topic with the correlation data,
// and every malformed request gets a clear error (or a log line when no reply
// is possible).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
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
const std::string kReplies = kRoot + "replies/pc-1/";

const std::string kExtra = test::kExampleStation;

class Commands : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = std::make_unique<test::Broker>(dir_.path() / "broker");
    daemon_ = std::make_unique<test::Daemon>(
        dir_.path(), test::daemon_config(dir_.path(), broker_->uri(), kExtra, "max_command_bytes = 256\n"));
    pc_ = std::make_unique<test::Subscriber>(broker_->uri(), "kazasu/v1/#");
    ASSERT_TRUE(pc_->next("/status", 5s)) << "kazasud never came online";
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "kazasud log:\n" << daemon_->log();
  }
  json call(const std::string& plugin, const std::string& name, const std::string& payload,
            const std::string& correlation = "corr-1") {
    pc_->publish(kRoot + plugin + "/cmd/" + name, payload, kReplies + name, correlation);
    auto m = pc_->next("/replies/pc-1/" + name, 5s);
    if (!m) throw std::runtime_error("no reply to " + plugin + "/cmd/" + name);
    EXPECT_EQ(pc_->last_correlation(), correlation);
    return json::parse(m->payload);
  }
  // Waits until the daemon's log contains `text`.
  bool logged(const std::string& text) {
    for (int i = 0; i < 200; ++i) {
      if (daemon_->log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  test::TempDir dir_;
  std::unique_ptr<test::Broker> broker_;
  std::unique_ptr<test::Daemon> daemon_;
  std::unique_ptr<test::Subscriber> pc_;
};

TEST_F(Commands, ReplyCarriesTheResultAndTheCorrelationData) {
  daemon_->tap("counter-1", "alice");
  const std::string token = json::parse(pc_->next("/example/seen", 5s)->payload)["token"];
  const json r = call("example", "count", json{{"token", token}}.dump(), std::string("\x01\x02bin", 5));
  EXPECT_EQ(r["schema"], "kazasu/v1/reply");
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["plugin"], "example");
  EXPECT_EQ(r["command"], "count");
  EXPECT_EQ(r["result"], json({{"taps", 1}}));
}

TEST_F(Commands, MalformedJsonGetsAnErrorReply) {
  const json r = call("example", "count", "{\"token\": ");
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"]["code"], "malformed_json");
}

TEST_F(Commands, NonObjectGetsAnErrorReply) {
  EXPECT_EQ(call("example", "count", "[1,2]")["error"]["code"], "not_an_object");
}

TEST_F(Commands, UnknownCommandAndPluginGetErrorReplies) {
  EXPECT_EQ(call("example", "launch", "{}")["error"]["code"], "unknown_command");
  EXPECT_EQ(call("library", "link", "{}")["error"]["code"], "unknown_plugin");
}

TEST_F(Commands, OversizedPayloadGetsAnErrorReply) {
  const json r = call("example", "count", json{{"token", std::string(300, 'a')}}.dump());
  EXPECT_EQ(r["error"]["code"], "payload_too_large");
  EXPECT_NE(r["error"]["message"].get<std::string>().find("the limit is 256"), std::string::npos);
}

// VmRSS of a process in KiB.
long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// max_command_bytes (256 here) at its edge, and a payload far past it: the
// broker never hands kazasud a packet over its MQTT v5 Maximum Packet Size,
// so a 4 MiB command costs kazasud no memory and gets no reply at all.
TEST_F(Commands, PayloadSizeAtItsEdgeAndFarPastIt) {
  const auto sized = [](size_t bytes) {
    const std::string head = R"({"token":")", tail = R"("})";
    return head + std::string(bytes - head.size() - tail.size(), 'a') + tail;
  };
  ASSERT_EQ(sized(256).size(), 256u);
  EXPECT_EQ(call("example", "count", sized(256))["ok"], true);
  EXPECT_EQ(call("example", "count", sized(257))["error"]["code"], "payload_too_large");

  const long before = rss_kib(daemon_->pid());
  for (int i = 0; i < 5; ++i) {
    pc_->publish(kRoot + "example/cmd/count", sized(size_t{4} << 20), kReplies + "huge", "huge");
  }
  EXPECT_FALSE(pc_->next("/replies/pc-1/huge", 2s)) << "a 4 MiB command reached kazasud";
  const long after = rss_kib(daemon_->pid());
  std::printf("[ limits ] five 4 MiB commands: kazasud RSS %ld -> %ld KiB\n", before, after);
  EXPECT_LT(after - before, 4 * 1024) << "kazasud's memory grew by a whole command";
  EXPECT_EQ(call("example", "count", sized(100))["ok"], true) << "kazasud stopped answering";
}

TEST_F(Commands, ARequestNestedTooDeepIsRefusedBeforeParsing) {
  const std::string deep = "{\"a\":" + std::string(33, '[') + std::string(33, ']') + "}";
  const json r = call("example", "count", deep);
  EXPECT_EQ(r["error"]["code"], "too_deep");
  const std::string edge = "{\"a\":" + std::string(31, '[') + std::string(31, ']') + "}";  // 32 levels
  EXPECT_NE(call("example", "count", edge)["error"]["code"], "too_deep");
  // Brackets inside strings do not count.
  EXPECT_NE(call("example", "count", json{{"token", std::string(100, '[')}}.dump())["error"]["code"], "too_deep");
}

TEST_F(Commands, PluginRefusalCarriesItsOwnCode) {
  const json r = call("example", "count", "{}");
  EXPECT_EQ(r["error"]["code"], "missing_field");
  EXPECT_EQ(r["error"]["message"], "count needs a \"token\" string");
}

TEST_F(Commands, MissingResponseTopicIsALogLineAndTheDaemonLives) {
  pc_->publish(kRoot + "example/cmd/count", "{}");
  EXPECT_TRUE(logged("command dropped: no MQTT v5 response topic to answer on plugin=example command=count"));
  pc_->publish(kRoot + "example/cmd/count", "{}", "elsewhere/replies");
  EXPECT_TRUE(logged("command dropped: its response topic is outside this station's replies/ prefix"));
  EXPECT_EQ(call("example", "count", "{}")["error"]["code"], "missing_field");
}

}  // namespace
}  // namespace kazasu

namespace kazasu {
namespace {

// [mqtt] command_rate at its edge through the real broker: one facility PC
// gets its burst and is then refused with `rate_limited`; another PC on the
// same station is not held back by it.
TEST(CommandLimits, APcPastItsBurstIsRefusedAndAnotherPcIsNot) {
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker");
  test::Daemon daemon(dir.path(),
                      test::daemon_config(dir.path(), broker.uri(), kExtra, "command_rate = 1\ncommand_burst = 20\n"));
  test::Subscriber pc(broker.uri(), "kazasu/v1/#");
  ASSERT_TRUE(pc.next("/status", 5s));
  const auto count = [&](const std::string& who, int n) {
    std::map<std::string, int> codes;
    for (int i = 0; i < n; ++i) {
      pc.publish(kRoot + "example/cmd/count", R"({"token":"t"})", kRoot + "replies/" + who + "/r", "c");
    }
    for (int i = 0; i < n; ++i) {
      auto m = pc.next("/replies/" + who + "/r", 5s);
      if (!m) break;
      const json r = json::parse(m->payload);
      ++codes[r.contains("error") ? r["error"]["code"].get<std::string>() : "ok"];
    }
    return codes;
  };
  const auto start = std::chrono::steady_clock::now();
  auto looping = count("looping-pc", 30);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ limits ] looping-pc: %d ok, %d rate_limited in %.2f s (burst 20, 1/s)\n", looping["ok"],
              looping["rate_limited"], seconds);
  EXPECT_EQ(looping["ok"] + looping["rate_limited"], 30);
  EXPECT_GE(looping["ok"], 20);
  EXPECT_LE(looping["ok"], 20 + static_cast<int>(seconds) + 1);  // one token a second came back meanwhile
  EXPECT_GE(looping["rate_limited"], 1);
  auto counter = count("counter-pc", 10);
  EXPECT_EQ(counter["ok"], 10) << "another PC was held back";
}

}  // namespace
}  // namespace kazasu
