// The ILS check over SIP2 through the real path: kazasud with the library
// plugin, simulated taps, and the SIP2 fixture (tests/fixtures/sip2) speaking
// CP932 with a login, told to be up, slow, hanging, garbled or down.
#include <gtest/gtest.h>

#include <thread>

#include "library_station.hpp"
#include "sip2_fixture.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string config(int port, const std::string& extra_settings) {
  return R"(
[plugins.example]

[plugins.library]
[plugins.library.config]
counter_reader = "counter-1"
link_min_assurance = "fast"  # the simulated readers read at fast
sip2_host = "127.0.0.1"
sip2_port = )" +
         std::to_string(port) +
         R"(
sip2_login = "kazasu"
sip2_password = "secret"
sip2_institution = "TEST-LIB"
sip2_charset = "CP932"
sip2_timeout_ms = 500
)" + (extra_settings.find("sip2_screen_messages") == std::string::npos ? "sip2_screen_messages = true\n" : "") +
         extra_settings +
         R"(
[readers.counter-1]
driver = "sim"
plugins = ["library", "example"]

[sim.cards.alice]
kind = "jpki"
serial = "0x1A2B3C4D"

[sim.cards.carol]
kind = "jpki"
serial = "0x0CA401CA"
)";
}

class LibrarySip2 : public ::testing::Test {
 protected:
  void start(const std::string& extra_settings = "") {
    station_ = std::make_unique<test::LibraryStation>(dir_.path(), config(ils_.port(), extra_settings));
    link("P0001", "alice");
  }
  void TearDown() override {
    if (HasFailure() && station_) std::cerr << "kazasud log:\n" << station_->daemon().log();
  }
  void link(const std::string& patron, const std::string& card) {
    ASSERT_EQ(station_->call("link", json{{"patron", patron}}.dump())["ok"], true);
    station_->daemon().tap("counter-1", card);
    ASSERT_EQ(station_->next("linked")["patron"], patron);
  }
  json lend(const std::string& card = "alice") {
    station_->daemon().tap("counter-1", card);
    return station_->next("patron");
  }

  test::TempDir dir_;
  test::Sip2Fixture ils_{dir_.path() / "ils"};
  std::unique_ptr<test::LibraryStation> station_;
};

TEST_F(LibrarySip2, IlsAnswerGoesIntoThePatronEvent) {
  start();
  const json p = lend();
  EXPECT_EQ(p["patron"], "P0001");
  const json& ils = p["ils"];
  ASSERT_TRUE(ils.is_object()) << p.dump();
  EXPECT_EQ(ils["valid_patron"], true);
  EXPECT_EQ(ils["charged_items"], 2);
  EXPECT_EQ(ils["charged_items_limit"], 10);
  EXPECT_EQ(ils["holds"], 1);
  EXPECT_EQ(ils["hold_items_limit"], 5);
  EXPECT_EQ(ils["fee_amount"], "0");
  EXPECT_EQ(ils["currency"], "JPY");
  // CP932 on the wire, with a '|' trail byte in "ポ", arrives as UTF-8.
  EXPECT_EQ(ils["screen_message"], "ようこそ。ポイントは10です");
  const std::string text = p.dump();
  EXPECT_EQ(text.find("図書"), std::string::npos) << "the ILS's name field must not be published";
  EXPECT_EQ(text.find("東京都"), std::string::npos) << "the ILS's address field must not be published";

  const std::string sent = ils_.requests();
  EXPECT_NE(sent.find("9300CNkazasu|COsecret|CP|AY"), std::string::npos) << sent;
  EXPECT_NE(sent.find("AOTEST-LIB|AAP0001|AC|AY"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("1A2B3C4D"), std::string::npos) << "no card data goes to the ILS";
}

TEST_F(LibrarySip2, BlockedPatronShowsDeniedPrivilegesFinesAndEveryScreenMessage) {
  start();
  link("P0002", "carol");
  const json ils = lend("carol")["ils"];
  EXPECT_EQ(ils["charge_privileges_denied"], true);
  EXPECT_EQ(ils["charged_items"], 10);
  EXPECT_EQ(ils["overdue_items"], 1);
  EXPECT_EQ(ils["fee_amount"], "300");
  EXPECT_EQ(ils["screen_message"], "貸出上限に達しています\n延滞があります");
}

TEST_F(LibrarySip2, PatronStatusRequestGivesValidityAndFees) {
  start("sip2_message = \"patron_status\"\n");
  const json ils = lend()["ils"];
  EXPECT_EQ(ils["valid_patron"], true);
  EXPECT_TRUE(ils["charged_items"].is_null());
  EXPECT_NE(ils_.requests().find("\n2300020"), std::string::npos);
}

TEST_F(LibrarySip2, DownIlsGivesThePatronEventWithIlsUnavailable) {
  start();
  ils_.stop();
  const json p = lend();
  EXPECT_EQ(p["patron"], "P0001");
  EXPECT_EQ(p["ils"], "unavailable");
  EXPECT_EQ(p["ils_reason"], "connect_failed");
}

TEST_F(LibrarySip2, SlowIlsWithinTheTimeoutStillAnswers) {
  start();
  ils_.mode("slow 100");
  EXPECT_TRUE(lend()["ils"].is_object());
}

TEST_F(LibrarySip2, SlowIlsPastTheTimeoutIsUnavailableAndStallsNoOtherPlugin) {
  start();
  ils_.mode("slow 3000");
  const auto t0 = std::chrono::steady_clock::now();
  const std::string id = station_->daemon().tap("counter-1", "alice");
  // The example plugin on the same reader answers while the library plugin still waits for the ILS.
  ASSERT_TRUE(station_->next_topic("/example/seen", 5s));
  const auto seen = std::chrono::steady_clock::now() - t0;
  const json p = station_->next("patron");
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(seen + 200ms, took) << "example/seen should not wait for the ILS";
  EXPECT_EQ(p["id"], id);
  EXPECT_EQ(p["ils"], "unavailable");
  EXPECT_EQ(p["ils_reason"], "timeout");
  // 500 ms for SIP2, well inside the 2000 ms budget: no error outcome for the tap.
  EXPECT_LT(took, 1500ms);
  EXPECT_FALSE(station_->arrives("error", 100ms));
}

TEST_F(LibrarySip2, HangingIlsIsATimeout) {
  start();
  ils_.mode("hang");
  EXPECT_EQ(lend()["ils_reason"], "timeout");
  ils_.mode("up");
  EXPECT_TRUE(lend()["ils"].is_object()) << "each tap gets a fresh connection";
}

TEST_F(LibrarySip2, BadChecksumIsRetriedOnceThenUnavailable) {
  start();
  ils_.mode("bad_checksum");
  EXPECT_EQ(lend()["ils_reason"], "bad_checksum");
  EXPECT_NE(ils_.requests().find("\n97AZFEF5"), std::string::npos) << "a 97 resend was asked first";
}

TEST_F(LibrarySip2, RefusedLoginAndDroppedConnectionAreUnavailable) {
  start();
  ils_.mode("refuse_login");
  EXPECT_EQ(lend()["ils_reason"], "login_refused");
  ils_.mode("drop");
  EXPECT_EQ(lend()["ils_reason"], "connect_failed");
}

TEST_F(LibrarySip2, DatabaseHoldsNoNameFromTheIls) {
  start();
  lend();
  const std::string bytes = test::database_bytes(station_->database());
  EXPECT_EQ(bytes.find("図書"), std::string::npos);
  EXPECT_EQ(bytes.find("\x90\x7D\x8F\x91"), std::string::npos);  // 図書 in CP932
  EXPECT_EQ(bytes.find("東京都"), std::string::npos);
}

TEST_F(LibrarySip2, ScreenMessagesStayAtTheStationUnlessTheConfigForwardsThem) {
  // ILS screen messages are free text that may greet the patron by name.
  start("sip2_screen_messages = false\n");
  const json p = lend();
  ASSERT_TRUE(p["ils"].is_object()) << p.dump();
  EXPECT_EQ(p["ils"]["screen_message"], "");
  EXPECT_EQ(p.dump().find("ようこそ"), std::string::npos);
}

TEST(LibrarySip2Config, HostWithoutCharsetRefusesThePluginNamingTheKey) {
  test::TempDir dir;
  test::Broker broker(dir.path() / "broker");
  test::Daemon daemon(dir.path(), test::daemon_config(dir.path(), broker.uri(), R"(
[plugins.library]
[plugins.library.config]
sip2_host = "127.0.0.1"
)"));
  const json status = daemon.status();
  ASSERT_EQ(status["refused_plugins"].size(), 1U) << status.dump();
  // Refused before create, by the plugin's own settings check, at the key's path.
  EXPECT_EQ(status["refused_plugins"][0]["reason"], "settings");
  EXPECT_NE(daemon.log().find("plugins.library.config.sip2_charset: required when sip2_host is set"), std::string::npos)
      << daemon.log();
}

TEST(LibrarySip2Config, PortOutOfRangeIsAFileLineError) {
  test::TempDir dir;
  const auto file = dir.path() / "kazasud.toml";
  test::write_file(file, test::daemon_config(dir.path(), "tcp://127.0.0.1:1", R"(
[plugins.library]
[plugins.library.config]
sip2_host = "127.0.0.1"
sip2_charset = "UTF-8"
sip2_port = 70000
)"));
  test::write_file(dir.path() / "site.secret", std::string(64, 'a') + "\n", 0600);
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--check-config", file.string()}, out), 2);
  EXPECT_NE(out.find("kazasud.toml:"), std::string::npos) << out;
  EXPECT_NE(out.find("plugins.library.config.sip2_port: 70000 is out of range (1 to 65535)"), std::string::npos) << out;
}

}  // namespace
}  // namespace kazasu
