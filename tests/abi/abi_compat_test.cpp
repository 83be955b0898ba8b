// Plugins built against earlier plugin.h headers (1.0, 1.1) and one from a
// "later 1.x" load into today's kazasud: their settings are read at the
// stride they were built with, their taps and commands work.
#include <gtest/gtest.h>

#include "broker.hpp"
#include "daemon.hpp"
#include "process.hpp"
#include "subscriber.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kRoot = "kazasu/v1/test-city/station-1/";

std::string station(const std::string& plugin, const std::string& config) {
  return "[plugins." + plugin + "]\npath = \"" ABI_PLUGIN_DIR "/" + plugin + ".so\"\n[plugins." + plugin +
         ".config]\n" + config + "\n[readers.counter-1]\ndriver = \"sim\"\nplugins = [\"" + plugin +
         "\"]\n\n[sim.cards.alice]\nkind = \"jpki\"\nserial = \"0x1A2B3C4D\"\n";
}

class AbiCompat : public ::testing::TestWithParam<std::string> {
 protected:
  test::TempDir dir_;
};

TEST_P(AbiCompat, OldPluginLoadsWithItsSettingsAndAnswersTapsAndCommands) {
  const std::string plugin = GetParam();
  test::Broker broker(dir_.path() / "broker");
  test::Daemon daemon(dir_.path(), test::daemon_config(dir_.path(), broker.uri(),
                                                       station(plugin, "greeting = \"konnichiwa\"\nvolume = 7\n")));
  test::Subscriber pc(broker.uri(), "kazasu/v1/#");
  ASSERT_TRUE(pc.next("/status", 5s));
  const json status = daemon.status();
  ASSERT_EQ(status["plugins"].size(), 1u) << status.dump() << daemon.log();
  EXPECT_EQ(status["plugins"][0]["name"], plugin);

  daemon.tap("counter-1", "alice");
  auto seen = pc.next("/" + plugin + "/seen", 5s);
  ASSERT_TRUE(seen) << daemon.log();
  const json j = json::parse(seen->payload);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["config"], json({{"greeting", "konnichiwa"}, {"volume", 7}, {"quiet", false}})) << j.dump();

  if (plugin != "future") {
    pc.publish(kRoot + plugin + "/cmd/ping", "{}", kRoot + "replies/pc/ping", "c");
    auto reply = pc.next("/replies/pc/ping", 5s);
    ASSERT_TRUE(reply);
    EXPECT_EQ(json::parse(reply->payload)["result"], json({{"pong", true}}));
  }
}

TEST_P(AbiCompat, OldPluginsSettingRangesAreCheckedAtTheirLine) {
  const std::string plugin = GetParam();
  const auto file = dir_.path() / "k.toml";
  test::write_file(dir_.path() / "site.secret", std::string(64, 'a') + "\n", 0600);
  test::write_file(file, test::daemon_config(dir_.path(), "tcp://127.0.0.1:1", station(plugin, "volume = 11\n")));
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--check-config", file.string()}, out), 2) << out;
  EXPECT_NE(out.find("plugins." + plugin + ".config.volume"), std::string::npos) << out;
  EXPECT_NE(out.find("11"), std::string::npos) << out;

  EXPECT_EQ(test::run({test::kazasud_path(), "--help-plugin", ABI_PLUGIN_DIR "/" + plugin + ".so"}, out), 0) << out;
  for (const char* setting : {"greeting", "volume", "quiet"}) {
    EXPECT_NE(out.find(setting), std::string::npos) << out;
  }
}

INSTANTIATE_TEST_SUITE_P(Headers, AbiCompat, ::testing::Values("compat10", "compat11", "future"));

}  // namespace
}  // namespace kazasu
