// `kazasud --check-config FILE` as IT staff run it: exit 0 for a valid file,
// else exit 2 with `FILE:LINE: key: what is wrong` on stderr, plugin settings
// included.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "config/config.hpp"
#include "daemon.hpp"
#include "process.hpp"

namespace kazasu {
namespace {

using test::TempDir;
using test::write_file;

// 32 random bytes as 64 hex characters, owner-only, as `kazasuctl secret init` leaves it.
void write_secret(const std::filesystem::path& file) {
  std::random_device rd;
  std::string hex;
  for (int i = 0; i < 64; ++i) hex.push_back("0123456789abcdef"[rd() % 16]);
  write_file(file, hex + "\n", 0600);
}

// [station] on lines 1 to 6, secret_file on line 5; writes a valid secret unless told not to.
std::string base(const TempDir& dir, bool with_secret = true) {
  if (with_secret) write_secret(dir.path() / "site.secret");
  return "[station]\nsite = \"a\"\nname = \"b\"\ndata_dir = \"" + (dir.path() / "data").string() +
         "\"\nsecret_file = \"" + (dir.path() / "site.secret").string() + "\"\nplugin_dir = \"" + test::plugin_dir() +
         "\"\n";
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
  EXPECT_EQ(out, file.string() + ":8: mqtt.port: unknown key\n");
}

TEST(CheckConfig, PluginSettingsAreValidatedAgainstTheirDeclaration) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir) + "[plugins.example]\n[plugins.example.config]\ngreeting = 5\nvolume = 11\n");
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--check-config", file.string()}, out), 2);
  EXPECT_EQ(out, file.string() + ":9: plugins.example.config.greeting: expected a string, found an integer\n" +
                     file.string() +
                     ":10: plugins.example.config.volume: unknown key (plugin example does not declare it)\n");
}

TEST(CheckConfig, MissingPluginFileIsNamedAtItsTable) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir) + "[plugins.ghost]\n");
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--check-config", file.string()}, out), 2);
  EXPECT_EQ(out, file.string() + ":7: plugins.ghost: no plugin file at " + test::plugin_dir() + "/ghost.so\n");
}

TEST(CheckConfig, DaemonRefusesToStartOnABadConfig) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir) + "[mqtt]\nkeepalive_s = 0\n");
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--config", file.string()}, out), 2);
  EXPECT_EQ(out, "<3>" + file.string() + ":8: mqtt.keepalive_s: 0 is out of range (1 to 3600)\n");
}

TEST(CheckConfig, VersionPrintsNameAndAbi) {
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--version"}, out), 0);
  EXPECT_EQ(out.rfind("kazasud ", 0), 0u);
  EXPECT_NE(out.find("(plugin ABI 1.4)"), std::string::npos);
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
  write_secret(dir.path() / "site.secret");
  write_file(
      file,
      "[station]\nsite = \"a\"\nname = \"b\"\nsecret_file = \"site.secret\"\n[plugins.slow]\npath = \"" TEST_PLUGIN_DIR
      "/slow.so\"\n[plugins.slow.config]\nsleep_ms = 70000\n");
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--check-config", file.string()}, out), 2);
  EXPECT_EQ(out, file.string() + ":8: plugins.slow.config.sleep_ms: 70000 is out of range (0 to 60000)\n");
}

}  // namespace
}  // namespace kazasu

// The site secret: --check-config makes the checks the start makes
// (TokenKey::load), so a file it passes is one kazasud starts with.
namespace kazasu {
namespace {

using test::TempDir;
using test::write_file;

int check(const std::filesystem::path& file, std::string& out, const std::string& user = "") {
  std::vector<std::string> argv = {test::kazasud_path(), "--check-config", file.string()};
  if (!user.empty()) argv.insert(argv.end(), {"--user", user});
  return test::run(argv, out);
}

TEST(CheckConfigSecret, AMissingSecretIsNamedAtItsLine) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir, false));
  const std::string secret = (dir.path() / "site.secret").string();
  std::string out;
  EXPECT_EQ(check(file, out), 2);
  EXPECT_EQ(out, file.string() + ":5: station.secret_file: secret file " + secret +
                     ": No such file or directory (kazasuctl secret init " + secret + ")\n");
}

TEST(CheckConfigSecret, ASecretOthersCanReadIsRefusedWithTheChmodToFixIt) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir));
  const std::string secret = (dir.path() / "site.secret").string();
  ::chmod(secret.c_str(), 0644);
  std::string out;
  EXPECT_EQ(check(file, out), 2);
  EXPECT_EQ(out, file.string() + ":5: station.secret_file: secret file " + secret +
                     " has mode 0644; it must be readable by its owner only (chmod 600 " + secret + ")\n");
}

// One function makes the checks for both, so they say the same thing.
TEST(CheckConfigSecret, TheStartRefusesWhatTheCheckRefusesWithTheSameSentence) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir) + "control_socket = \"" + (dir.path() / "control.sock").string() + "\"\n");
  const std::string secret = (dir.path() / "site.secret").string();
  ::chmod(secret.c_str(), 0640);
  const std::string sentence =
      "secret file " + secret + " has mode 0640; it must be readable by its owner only (chmod 600 " + secret + ")";
  std::string checked;
  EXPECT_EQ(check(file, checked), 2);
  EXPECT_NE(checked.find(sentence), std::string::npos) << checked;
  std::string started;
  EXPECT_EQ(test::run({test::kazasud_path(), "--config", file.string()}, started), 1);
  EXPECT_NE(started.find(sentence), std::string::npos) << started;
}

TEST(CheckConfigSecret, AShortSecretIsRefused) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir, false));
  write_file(dir.path() / "site.secret", "short\n", 0600);
  std::string out;
  EXPECT_EQ(check(file, out), 2);
  EXPECT_NE(out.find(":5: station.secret_file: secret file " + (dir.path() / "site.secret").string() +
                     " holds 5 bytes; at least 32 are needed"),
            std::string::npos)
      << out;
}

TEST(CheckConfigSecret, ADefaultedSecretFileIsNamedAtItsTable) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, "# a station\n[station]\nsite = \"a\"\nname = \"b\"\n");
  const Config cfg = load_config(file);
  EXPECT_EQ(cfg.station.secret_file, "/etc/kazasu/site.secret");
  EXPECT_EQ(cfg.station.secret_file_line, 2);
}

TEST(CheckConfigSecret, ASecretTheServiceUserCannotReadIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: checks a root-owned secret for another user with --user";
  const passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user nobody on this system";
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);  // only the file's owner is in the way
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir));
  const std::string secret = (dir.path() / "site.secret").string();
  std::string out;
  EXPECT_EQ(check(file, out), 0) << "root itself can read it: " << out;
  EXPECT_EQ(check(file, out, "nobody"), 2);
  EXPECT_EQ(out, file.string() + ":5: station.secret_file: secret file " + secret +
                     " is owned by root, so nobody, who runs kazasud, cannot read it (chown nobody " + secret + ")\n");
}

TEST(CheckConfigSecret, ADirectoryTheServiceUserCannotEnterIsNamed) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: hands the secret to another user and checks with --user";
  const passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user nobody on this system";
  TempDir dir;
  ::chmod(dir.path().c_str(), 0700);
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir));
  const std::string secret = (dir.path() / "site.secret").string();
  ASSERT_EQ(::chown(secret.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  std::string out;
  EXPECT_EQ(check(file, out, "nobody"), 2);
  EXPECT_EQ(out.rfind(file.string() + ":5: station.secret_file: secret file " + secret + ": nobody cannot enter " +
                          dir.path().string() + " (mode 0700, owner root, group ",
                      0),
            0u)
      << out;
  // Searchable is enough: the file's owner then reads it.
  ::chmod(dir.path().c_str(), 0711);
  EXPECT_EQ(check(file, out, "nobody"), 0) << out;
}

TEST(CheckConfigSecret, ASecretTheCheckingUserCannotOpenIsRefused) {
  if (::geteuid() == 0) GTEST_SKIP() << "root opens any file; the --user tests cover this as root";
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir));
  const std::string secret = (dir.path() / "site.secret").string();
  ::chmod(secret.c_str(), 0200);
  std::string out;
  EXPECT_EQ(check(file, out), 2);
  EXPECT_EQ(out,
            file.string() + ":5: station.secret_file: secret file " + secret + ": cannot open: Permission denied\n");
}

TEST(CheckConfigSecret, AnUnknownUserIsAUsageError) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir));
  std::string out;
  EXPECT_EQ(check(file, out, "no-such-user-here"), 2);
  EXPECT_EQ(out, "kazasud: --user no-such-user-here: no such user\n");
}

TEST(CheckConfigSecret, AValidSecretPasses) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir) + "[plugins.example]\n");
  std::string out;
  EXPECT_EQ(check(file, out), 0) << out;
  EXPECT_EQ(out, file.string() + ": ok\n");
}

// Core errors no longer hide plugin-setting errors: one run shows both, by line.
TEST(CheckConfig, CoreAndPluginErrorsArePrintedTogetherByLine) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file, base(dir) + "[plugins.example]\n[plugins.example.config]\ngreeting = 5\n[mqtt]\nport = 1883\n");
  std::string out;
  EXPECT_EQ(check(file, out), 2);
  EXPECT_EQ(out, file.string() + ":9: plugins.example.config.greeting: expected a string, found an integer\n" +
                     file.string() + ":11: mqtt.port: unknown key\n");
}

TEST(CheckConfig, TheSecretCoreAndPluginErrorsAreAllReported) {
  TempDir dir;
  const auto file = dir.path() / "k.toml";
  write_file(file,
             base(dir, false) + "[mqtt]\nkeepalive_s = 0\n[plugins.example]\n[plugins.example.config]\nvolume = 11\n");
  std::string out;
  EXPECT_EQ(check(file, out), 2);
  const std::string f = file.string();
  const auto secret = out.find(f + ":5: station.secret_file: ");
  const auto core = out.find(f + ":8: mqtt.keepalive_s: 0 is out of range (1 to 3600)");
  const auto plugin = out.find(f + ":11: plugins.example.config.volume: unknown key");
  ASSERT_NE(secret, std::string::npos) << out;
  ASSERT_NE(core, std::string::npos) << out;
  ASSERT_NE(plugin, std::string::npos) << out;
  EXPECT_LT(secret, core);
  EXPECT_LT(core, plugin);
}

}  // namespace
}  // namespace kazasu
