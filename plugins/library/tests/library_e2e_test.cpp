// The library plugin as the real .so in a real kazasud, with simulated readers
// (`kazasuctl tap`) and a facility PC over a real mosquitto: linking at the
// counter, lending taps, unknown cards and their hints, commands and stats.
#include <gtest/gtest.h>

#include "library_station.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kConfig = R"(
[plugins.library]
[plugins.library.config]
counter_reader = "counter-1"
link_min_assurance = "fast"  # the simulated readers read at fast
link_timeout_s = 5

[readers.counter-1]
driver = "sim"
plugins = ["library"]

[readers.counter-2]
driver = "sim"
plugins = ["library"]

[sim.cards.alice]
kind = "jpki"
serial = "0x1A2B3C4D"

[sim.cards.alice_renewed]
kind = "jpki"
serial = "0x5E6F7A8B"

[sim.cards.bob]
kind = "jpki"
serial = "0x0BB0B0B0"

[sim.cards.expired]
kind = "jpki"
serial = "0x0E0E0E0E"
result = "expired"
message = "the certificate expired on 2024-02-17"

[sim.cards.locked]
kind = "jpki"
serial = "0x10C10C10"
result = "pin_locked"

[sim.cards.worn]
kind = "jpki"
serial = "0x00"
result = "read_failed"
message = "the card was removed during the read"
)";

class LibraryEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override { station_ = std::make_unique<test::LibraryStation>(dir_.path(), kConfig); }
  void TearDown() override {
    if (HasFailure()) std::cerr << "kazasud log:\n" << station_->daemon().log();
  }
  // Arms the counter for `patron` and links `card` with one tap.
  json link(const std::string& patron, const std::string& card, const std::string& reader = "counter-1") {
    const json r = station_->call("link", json{{"patron", patron}, {"reader", reader}}.dump());
    EXPECT_EQ(r["ok"], true) << r.dump();
    station_->daemon().tap(reader, card);
    return station_->next("linked");
  }

  test::TempDir dir_;
  std::unique_ptr<test::LibraryStation> station_;
};

TEST_F(LibraryEndToEnd, LinkArmsTheCounterAndTheNextTapLinksTheCard) {
  const json r = station_->call("link", R"({"patron": "P0001"})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["armed"], true);
  EXPECT_EQ(r["result"]["reader"], "counter-1");  // counter_reader, since the command named none
  EXPECT_EQ(r["result"]["replaces_card"], false);
  EXPECT_EQ(r["result"]["timeout_s"], 5);
  // YYYY-MM-DDTHH:MM:SS+HH:MM, checked byte by byte.
  const std::string expires = r["result"]["expires_at"].get<std::string>();
  const std::string shape = "dddd-dd-ddTdd:dd:dd+dd:dd";
  bool matches = expires.size() == shape.size();
  for (size_t i = 0; matches && i < shape.size(); ++i) {
    const char c = expires[i];
    matches = shape[i] == 'd' ? (c >= '0' && c <= '9') : shape[i] == '+' ? (c == '+' || c == '-') : c == shape[i];
  }
  EXPECT_TRUE(matches) << expires;

  const std::string id = station_->daemon().tap("counter-1", "alice");
  const json linked = station_->next("linked");
  EXPECT_EQ(linked["id"], id);
  EXPECT_EQ(linked["patron"], "P0001");
  EXPECT_EQ(linked["replaced"], false);
  EXPECT_EQ(linked["schema"], "kazasu/v1/library/linked");
}

TEST_F(LibraryEndToEnd, LinkedCardTellsTheCounterWhichPatronIsThere) {
  link("P0001", "alice");
  const std::string id = station_->daemon().tap("counter-1", "alice");
  const json p = station_->next("patron");
  EXPECT_EQ(p["id"], id);
  EXPECT_EQ(p["patron"], "P0001");
  EXPECT_EQ(p["link_age_days"], 0);
  EXPECT_EQ(p["ils"], "off");
  EXPECT_EQ(p["reader"], "counter-1");
  // Any counter works once linked; arming was for one tap only.
  station_->daemon().tap("counter-2", "alice");
  EXPECT_EQ(station_->next("patron")["patron"], "P0001");
}

TEST_F(LibraryEndToEnd, UnlinkedCardGetsTheLinkAtTheCounterHint) {
  station_->daemon().tap("counter-1", "bob");
  const json u = station_->next("unknown_card");
  EXPECT_EQ(u["status"], "ok");
  EXPECT_EQ(u["reason"], "not_linked");
  EXPECT_NE(u["hint"].get<std::string>().find("link it at the counter"), std::string::npos);
  EXPECT_NE(u["hint_ja"].get<std::string>().find("カウンター"), std::string::npos);
  EXPECT_EQ(u.count("patron"), 0u);
}

TEST_F(LibraryEndToEnd, ExpiredLockedAndUnreadableCardsGetTheirHints) {
  station_->daemon().tap("counter-1", "expired");
  json u = station_->next("unknown_card");
  EXPECT_EQ(u["status"], "expired");
  EXPECT_EQ(u["reason"], "expired");
  EXPECT_EQ(u["message"], "the certificate expired on 2024-02-17");

  station_->daemon().tap("counter-1", "locked");
  u = station_->next("unknown_card");
  EXPECT_EQ(u["status"], "pin_locked");
  EXPECT_NE(u["hint"].get<std::string>().find("city office counter"), std::string::npos);
  EXPECT_NE(u["hint_ja"].get<std::string>().find("市区町村の窓口"), std::string::npos);

  station_->daemon().tap("counter-1", "worn");
  u = station_->next("unknown_card");
  EXPECT_EQ(u["reason"], "read_failed");
  EXPECT_NE(u["hint"].get<std::string>().find("tap again"), std::string::npos);
}

TEST_F(LibraryEndToEnd, RelinkAfterRenewalReplacesTheOldCardAndKeepsThePatron) {
  link("P0001", "alice");
  // After renewal the new certificate is a token the plugin never saw: the generic hint.
  station_->daemon().tap("counter-1", "alice_renewed");
  EXPECT_EQ(station_->next("unknown_card")["reason"], "not_linked");

  const json r = station_->call("link", R"({"patron": "P0001"})");
  EXPECT_EQ(r["result"]["replaces_card"], true);
  station_->daemon().tap("counter-1", "alice_renewed");
  const json linked = station_->next("linked");
  EXPECT_EQ(linked["replaced"], true);
  EXPECT_EQ(linked["relinks"], 1);

  station_->daemon().tap("counter-1", "alice_renewed");
  EXPECT_EQ(station_->next("patron")["patron"], "P0001");
  station_->daemon().tap("counter-1", "alice");
  EXPECT_EQ(station_->next("unknown_card")["reason"], "not_linked") << "the old card must no longer lend";
}

TEST_F(LibraryEndToEnd, CardLinkedToAnotherPatronIsRefused) {
  link("P0001", "alice");
  ASSERT_EQ(station_->call("link", R"({"patron": "P0002"})")["ok"], true);
  station_->daemon().tap("counter-1", "alice");
  const json refused = station_->next("link_refused");
  EXPECT_EQ(refused["reason"], "already_linked");
  EXPECT_EQ(refused["patron"], "P0002");
  EXPECT_EQ(refused["linked_patron"], "P0001");
  // The refusal used up the arm, and the card still lends as P0001.
  station_->daemon().tap("counter-1", "alice");
  EXPECT_EQ(station_->next("patron")["patron"], "P0001");
}

TEST_F(LibraryEndToEnd, FailedReadWhileArmedKeepsTheArmForAnotherTry) {
  ASSERT_EQ(station_->call("link", R"({"patron": "P0001"})")["ok"], true);
  station_->daemon().tap("counter-1", "worn");
  const json refused = station_->next("link_refused");
  EXPECT_EQ(refused["reason"], "read_failed");
  station_->daemon().tap("counter-1", "alice");
  EXPECT_EQ(station_->next("linked")["patron"], "P0001");
}

TEST_F(LibraryEndToEnd, UnlinkRemovesTheLink) {
  link("P0001", "alice");
  const json r = station_->call("unlink", R"({"patron": "P0001"})");
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["result"]["unlinked"], true);
  EXPECT_EQ(station_->next("unlinked")["patron"], "P0001");
  station_->daemon().tap("counter-1", "alice");
  EXPECT_EQ(station_->next("unknown_card")["reason"], "not_linked");
  const json again = station_->call("unlink", R"({"patron": "P0001"})");
  EXPECT_EQ(again["ok"], false);
  EXPECT_EQ(again["error"]["code"], "not_linked");
}

TEST_F(LibraryEndToEnd, ArmingLapsesAfterTheLinkTimeout) {
  ASSERT_EQ(station_->call("link", R"({"patron": "P0001"})")["ok"], true);
  std::this_thread::sleep_for(5500ms);
  station_->daemon().tap("counter-1", "alice");
  EXPECT_EQ(station_->next("unknown_card")["reason"], "not_linked");
}

TEST_F(LibraryEndToEnd, MalformedCommandsGetClearErrors) {
  auto code = [&](const std::string& name, const std::string& payload) {
    const json r = station_->call(name, payload);
    EXPECT_EQ(r["ok"], false) << r.dump();
    return r["error"]["code"].get<std::string>();
  };
  EXPECT_EQ(code("link", "{}"), "missing_field");
  EXPECT_EQ(code("link", R"({"patron": 42})"), "invalid_field");
  EXPECT_EQ(code("link", R"({"patron": "P|1"})"), "invalid_patron");
  EXPECT_EQ(code("link", R"({"patron": ""})"), "invalid_patron");
  EXPECT_EQ(code("link", R"({"patorn": "P1"})"), "unknown_field");
  EXPECT_EQ(code("link", R"({"patron": "P1", "reader": "no such/reader"})"), "invalid_reader");
  EXPECT_EQ(code("link", "{\"patron\": "), "malformed_json");
  EXPECT_EQ(code("link", "[]"), "not_an_object");
  EXPECT_EQ(code("unlink", R"({"patron": ["P1"]})"), "invalid_field");
  EXPECT_EQ(code("stats", R"({"day": "2026-02-30"})"), "invalid_day");
  EXPECT_EQ(code("stats", R"({"day": "today"})"), "invalid_day");
  EXPECT_EQ(code("lend", "{}"), "unknown_command");
  // A refused link armed nothing.
  station_->daemon().tap("counter-1", "alice");
  EXPECT_EQ(station_->next("unknown_card")["reason"], "not_linked");
}

TEST_F(LibraryEndToEnd, StatsCountTapsLinksAndUnknownCardsPerDay) {
  link("P0001", "alice");
  station_->daemon().tap("counter-1", "alice");
  station_->next("patron");
  station_->daemon().tap("counter-1", "bob");
  station_->next("unknown_card");
  station_->daemon().tap("counter-1", "expired");
  station_->next("unknown_card");
  const json today = station_->call("stats", "{}");
  ASSERT_EQ(today["ok"], true) << today.dump();
  EXPECT_EQ(today["result"]["taps"], 4);
  EXPECT_EQ(today["result"]["links"], 1);
  EXPECT_EQ(today["result"]["patrons"], 1);
  EXPECT_EQ(today["result"]["unknown_cards"], 2);
  const std::string day = today["result"]["day"];
  EXPECT_EQ(station_->call("stats", json{{"day", day}}.dump())["result"], today["result"]);
  const json old = station_->call("stats", R"({"day": "2001-01-01"})");
  EXPECT_EQ(old["result"]["taps"], 0);
}

TEST_F(LibraryEndToEnd, DatabaseHoldsNoSerial) {
  link("P0001", "alice");
  station_->daemon().tap("counter-1", "alice");
  station_->next("patron");
  const std::string bytes = test::database_bytes(station_->database());
  ASSERT_NE(bytes.find("P0001"), std::string::npos) << "the check must read the right file";
  for (const char* serial : {"1A2B3C4D", "1a2b3c4d", "\x1A\x2B\x3C\x4D"}) {
    EXPECT_EQ(bytes.find(serial), std::string::npos) << "serial found in the plugin's database";
  }
}

}  // namespace
}  // namespace kazasu

namespace kazasu {
namespace {

// IT staff see every library setting problem before the daemon starts, at its line.
std::string check_config(const test::TempDir& dir, const std::string& library_table, int& rc) {
  const auto file = dir.path() / "k.toml";
  // --check-config checks the site secret too.
  test::write_file(dir.path() / "site.secret", std::string(64, 'a') + "\n", 0600);
  test::write_file(file, "[station]\nsite = \"a\"\nname = \"b\"\nsecret_file = \"site.secret\"\ndata_dir = \"" +
                             (dir.path() / "data").string() + "\"\nplugin_dir = \"" + test::plugin_dir() + "\"\n" +
                             library_table);
  std::string out;
  rc = test::run({test::kazasud_path(), "--check-config", file.string()}, out);
  return out;
}

TEST(LibraryConfig, MissingCharsetWithASip2HostIsNamedAtItsLine) {
  test::TempDir dir;
  int rc = 0;
  const std::string out =
      check_config(dir, "[plugins.library]\n[plugins.library.config]\nsip2_host = \"127.0.0.1\"\n", rc);
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(out.rfind((dir.path() / "k.toml").string() + ":7: plugins.library.config.sip2_charset: required when "
                                                         "sip2_host is set",
                      0),
            0u)
      << out;
}

TEST(LibraryConfig, PortOutOfRangeAndUnknownKeyAreNamedAtTheirLines) {
  test::TempDir dir;
  int rc = 0;
  const std::string out =
      check_config(dir, "[plugins.library]\n[plugins.library.config]\nsip2_port = 70000\nsip2_colour = \"red\"\n", rc);
  EXPECT_EQ(rc, 2);
  const std::string f = (dir.path() / "k.toml").string();
  EXPECT_NE(out.find(f + ":9: plugins.library.config.sip2_port: 70000 is out of range (1 to 65535)"), std::string::npos)
      << out;
  EXPECT_NE(out.find(f + ":10: plugins.library.config.sip2_colour: unknown key"), std::string::npos) << out;
}

TEST(LibraryConfig, AValidSip2SetupPasses) {
  test::TempDir dir;
  int rc = 0;
  const std::string out = check_config(
      dir, "[plugins.library]\n[plugins.library.config]\nsip2_host = \"127.0.0.1\"\nsip2_charset = \"CP932\"\n", rc);
  EXPECT_EQ(rc, 0) << out;
}

}  // namespace
}  // namespace kazasu
