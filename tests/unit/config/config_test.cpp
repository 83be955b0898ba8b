// load_config: what a valid file yields, and the exact message for each kind
// of mistake IT staff make.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "process.hpp"

namespace kazasu {
namespace {

using test::TempDir;
using test::write_file;

constexpr const char* kValid = R"([station]
site = "sanjo"
name = "library-main"
data_dir = "data"
secret_file = "/etc/kazasu/site.secret"

[mqtt]
uri = "tcp://broker.local:1883"
keepalive_s = 15

[plugins.example]
budget_ms = 300
[plugins.example.config]
greeting = "hi"

[readers.counter-1]
driver = "sim"
plugins = ["example"]
accept = ["jpki", "uid"]
level = "verified"

[sim.cards.alice]
kind = "jpki"
serial = "0x01"
)";

std::vector<std::string> messages(const std::filesystem::path& file) {
  try {
    load_config(file);
  } catch (const ConfigException& e) {
    std::vector<std::string> out;
    for (const auto& err : e.errors()) out.push_back(err.str());
    return out;
  }
  return {};
}

TEST(Config, ValidFileYieldsEverySection) {
  TempDir dir;
  const auto file = dir.path() / "kazasud.toml";
  write_file(file, kValid);
  const Config cfg = load_config(file);
  EXPECT_EQ(cfg.station.site, "sanjo");
  EXPECT_EQ(cfg.station.name, "library-main");
  EXPECT_EQ(cfg.station.data_dir, dir.path() / "data");  // relative to the config file
  EXPECT_EQ(cfg.station.secret_file, "/etc/kazasu/site.secret");
  EXPECT_EQ(cfg.mqtt.uri, "tcp://broker.local:1883");
  EXPECT_EQ(cfg.mqtt.keepalive_s, 15);
  EXPECT_EQ(cfg.mqtt.client_id, "kazasu-sanjo-library-main");
  ASSERT_EQ(cfg.plugins.size(), 1u);
  EXPECT_EQ(cfg.plugins[0].name, "example");
  EXPECT_EQ(cfg.plugins[0].budget_ms, 300);
  EXPECT_EQ(cfg.plugins[0].settings["greeting"], "hi");
  EXPECT_EQ(cfg.plugins[0].setting_lines.at("greeting"), 14);
  EXPECT_EQ(cfg.plugins[0].path, cfg.station.plugin_dir / "example.so");
  ASSERT_EQ(cfg.readers.size(), 1u);
  EXPECT_EQ(cfg.readers[0].driver, "sim");
  EXPECT_EQ(cfg.readers[0].plugins, std::vector<std::string>{"example"});
  EXPECT_EQ(cfg.readers[0].accept, (std::vector<std::string>{"jpki", "uid"}));
  EXPECT_EQ(cfg.readers[0].level, "verified");
  ASSERT_EQ(cfg.sim_cards.count("alice"), 1u);
  EXPECT_EQ(cfg.sim_cards.at("alice").subject, "0x01");
}

TEST(Config, UnknownKeyIsNamedWithFileAndLine) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, "[station]\nsite = \"a\"\nname = \"b\"\ncolour = \"blue\"\n");
  EXPECT_EQ(messages(file), std::vector<std::string>{file.string() + ":4: station.colour: unknown key"});
}

TEST(Config, UnknownTopLevelTableIsNamed) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, "[station]\nsite = \"a\"\nname = \"b\"\n\n[readerz.x]\ndriver = \"sim\"\n");
  EXPECT_EQ(messages(file), std::vector<std::string>{file.string() + ":5: readerz: unknown key"});
}

TEST(Config, WrongTypeSaysWhatWasExpectedAndFound) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, "[station]\nsite = \"a\"\nname = \"b\"\n[mqtt]\nkeepalive_s = \"30\"\n");
  EXPECT_EQ(messages(file),
            std::vector<std::string>{file.string() + ":5: mqtt.keepalive_s: expected an integer, found a string"});
}

TEST(Config, PermissionsAreGrantedPerPluginAndUnknownOnesNamed) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file,
             "[station]\nsite = \"a\"\nname = \"b\"\n[identify.pin]\nbasic_info_timeout_ms = 5000\n"
             "[plugins.election]\npermissions = [\"card.basic_info\"]\n[plugins.example]\n");
  const Config cfg = load_config(file);
  ASSERT_EQ(cfg.plugins.size(), 2u);
  const auto& election = cfg.plugins[0].name == "election" ? cfg.plugins[0] : cfg.plugins[1];
  const auto& example = cfg.plugins[0].name == "election" ? cfg.plugins[1] : cfg.plugins[0];
  EXPECT_TRUE(election.granted("card.basic_info"));
  EXPECT_FALSE(example.granted("card.basic_info")) << "nothing is granted by default";
  EXPECT_EQ(cfg.identify.basic_info_pin_timeout_ms, 5000);

  write_file(file, "[station]\nsite = \"a\"\nname = \"b\"\n[plugins.election]\npermissions = [\"card.my_number\"]\n");
  EXPECT_EQ(messages(file),
            std::vector<std::string>{file.string() + ":5: plugins.election.permissions: \"card.my_number\" is not a "
                                                     "permission kazasud grants (card.basic_info)"});
}

TEST(Config, MissingFileSaysSo) {
  TempDir dir;
  const auto file = dir.path() / "absent.toml";
  EXPECT_EQ(messages(file), std::vector<std::string>{file.string() + ": cannot open: No such file or directory"});
}

TEST(Config, TomlSyntaxErrorHasALine) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, "[station]\nsite = \"a\"\nname = \n");
  const auto m = messages(file);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].rfind(file.string() + ":3: ", 0), 0u) << m[0];
}

TEST(Config, ReaderNeedsAnExplicitDriver) {
  // The simulated reader must never be switched on by a default.
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, "[station]\nsite = \"a\"\nname = \"b\"\n[readers.r1]\nplugins = []\n");
  EXPECT_EQ(messages(file), std::vector<std::string>{file.string() + ":4: readers.r1.driver: required key is missing"});
}

TEST(Config, EveryProblemIsReportedInLineOrder) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file,
             "[station]\nsite = \"a/b\"\nname = \"b\"\nlog_level = \"loud\"\n"
             "[readers.r1]\ndriver = \"usb\"\nplugins = [\"nope\"]\nlevel = \"max\"\n");
  EXPECT_EQ(messages(file),
            (std::vector<std::string>{
                file.string() + ":2: station.site: \"a/b\" must be 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-'",
                file.string() + ":4: station.log_level: \"loud\" is not one of: error, warning, notice, info, debug",
                file.string() + ":6: readers.r1.driver: \"usb\" is not one of: sim, pcsc",
                file.string() + ":7: readers.r1.plugins: plugin \"nope\" is not configured under [plugins]",
                file.string() + ":8: readers.r1.level: \"max\" is not one of: fast, verified, possession",
            }));
}

TEST(Config, ReservedPluginNamesAreRefused) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, "[station]\nsite = \"a\"\nname = \"b\"\n[plugins.status]\n");
  EXPECT_EQ(messages(file),
            std::vector<std::string>{file.string() +
                                     ":4: plugins.status: \"status\" is reserved for the daemon's own topics"});
}

TEST(Config, TimezoneMustBeOneTheSystemKnows) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, "[station]\nsite = \"a\"\nname = \"b\"\ntimezone = \"Asia/Tokyo\"\n");
  EXPECT_EQ(load_config(file).station.timezone, "Asia/Tokyo");
  write_file(file, "[station]\nsite = \"a\"\nname = \"b\"\ntimezone = \"Mars/Olympus\"\n");
  EXPECT_EQ(messages(file),
            std::vector<std::string>{file.string() + ":4: station.timezone: \"Mars/Olympus\" is not a "
                                                     "time zone this system knows (e.g. \"Asia/Tokyo\")"});
}

TEST(Config, MissingStationTableIsAnError) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, "[mqtt]\nuri = \"tcp://x:1\"\n");
  EXPECT_EQ(messages(file), std::vector<std::string>{file.string() + ": station: required table [station] is missing"});
}

}  // namespace
}  // namespace kazasu
