// `kazasud --check-config FILE` as IT staff run it: exit 0 for a valid file,
// else exit 2 with `FILE:LINE: key: what is wrong` on stderr, plugin settings
// included.
#include <gtest/gtest.h>

#include "daemon.hpp"
#include "process.hpp"

namespace kazasu {
namespace {

using test::TempDir;
using test::write_file;

std::string base(const TempDir& dir) {
  return "[station]\nsite = \"a\"\nname = \"b\"\ndata_dir = \"" + (dir.path() / "data").string() +
         "\"\nplugin_dir = \"" + test::plugin_dir() + "\"\n";
}

TEST(CheckConfig, ValidFileExitsZero) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir) + "[plugins.example]\n[plugins.example.config]\ngreeting = \"hi\"\n");
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--check-config", file.string()}, out), 0) << out;
  EXPECT_EQ(out, file.string() + ": ok\n");
}

TEST(CheckConfig, UnknownKeyExitsTwoWithFileLineKey) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir) + "[mqtt]\nport = 1883\n");
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--check-config", file.string()}, out), 2);
  EXPECT_EQ(out, file.string() + ":7: mqtt.port: unknown key\n");
}

TEST(CheckConfig, PluginSettingsAreValidatedAgainstTheirDeclaration) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir) + "[plugins.example]\n[plugins.example.config]\ngreeting = 5\nvolume = 11\n");
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--check-config", file.string()}, out), 2);
  EXPECT_EQ(out, file.string() + ":8: plugins.example.config.greeting: expected a string, found an integer\n" +
                     file.string() +
                     ":9: plugins.example.config.volume: unknown key (plugin example does not declare it)\n");
}

TEST(CheckConfig, MissingPluginFileIsNamedAtItsTable) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir) + "[plugins.ghost]\n");
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--check-config", file.string()}, out), 2);
  EXPECT_EQ(out, file.string() + ":6: plugins.ghost: no plugin file at " + test::plugin_dir() + "/ghost.so\n");
}

TEST(CheckConfig, DaemonRefusesToStartOnABadConfig) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir) + "[mqtt]\nkeepalive_s = 0\n");
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--config", file.string()}, out), 2);
  EXPECT_EQ(out, "<3>" + file.string() + ":7: mqtt.keepalive_s: 0 is out of range (1 to 3600)\n");
}

TEST(CheckConfig, VersionPrintsNameAndAbi) {
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--version"}, out), 0);
  EXPECT_EQ(out.rfind("kazasud ", 0), 0u);
  EXPECT_NE(out.find("(plugin ABI 1.1)"), std::string::npos);
}

TEST(CheckConfig, HelpPluginPrintsDeclaredSettings) {
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--help-plugin", test::plugin_dir() + "/example.so"}, out), 0) << out;
  EXPECT_NE(out.find("greeting (a string, default \"welcome\")"), std::string::npos) << out;
}

}  // namespace
}  // namespace kazasu

namespace kazasu {
namespace {

TEST(CheckConfig, IntegerSettingsOutsideTheirDeclaredRangeAreNamed) {
  test::TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, "[station]\nsite = \"a\"\nname = \"b\"\n[plugins.slow]\npath = \"" TEST_PLUGIN_DIR
                   "/slow.so\"\n[plugins.slow.config]\nsleep_ms = 70000\n");
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--check-config", file.string()}, out), 2);
  EXPECT_EQ(out, file.string() + ":7: plugins.slow.config.sleep_ms: 70000 is out of range (0 to 60000)\n");
}

}  // namespace
}  // namespace kazasu
