// The library plugin on the real card path: kazasu-cardsim cards in vpcd
// readers of a real pcscd, read by kazasud's pcsc driver, tokens to the
// library plugin, outcomes over a real mosquitto to a facility PC.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "library_station.hpp"
#include "pcsc_fixture.hpp"
#include "sip2_fixture.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

// The holder's name on the chip; the plugin must never store it.
const std::string kHolderName = "図書館　花子";

// Cards for this process, made once: a CA, a patron's card, its renewal, others.
class Cards {
 public:
  static Cards& get() {
    static Cards cards;
    return cards;
  }
  fs::path ca() const { return dir_.path() / "ca"; }
  fs::path operator[](const std::string& name) const { return made_.at(name); }
  // The auth certificate's serial in upper-case hex, as card.json records it.
  std::string serial(const std::string& name) const {
    std::ifstream in(made_.at(name) / "card.json");
    return json::parse(in)["certificates"]["auth_serial"];
  }

 private:
  Cards() {
    if (kazasu::test::run_cardsim_tool({"make-ca", "--out", ca().string()}) != 0)
      throw std::runtime_error("make-ca failed");
    make("alice", {"--variant", "valid", "--name", kHolderName});
    make("alice_renewed", {"--variant", "renewed", "--from", made_["alice"].string()});
    make("bob", {"--variant", "valid"});
    make("expired", {"--variant", "expired"});
    make("locked", {"--variant", "locked-pin"});
  }
  void make(const std::string& name, std::vector<std::string> args) {
    const fs::path out = dir_.path() / name;
    args.insert(args.begin(), {"make-card", "--ca", ca().string(), "--out", out.string()});
    if (kazasu::test::run_cardsim_tool(args) != 0) throw std::runtime_error("make-card " + name + " failed");
    made_[name] = out;
  }
  test::TempDir dir_;
  std::map<std::string, fs::path> made_;
};

std::string config(const fs::path& ca, int sip2_port) {
  return R"(
[plugins.library]
[plugins.library.config]
counter_reader = "counter-1"
link_min_assurance = "verified"  # this counter reads at verified; possession has its own test
sip2_host = "127.0.0.1"
sip2_port = )" +
         std::to_string(sip2_port) +
         R"(
sip2_login = "kazasu"
sip2_password = "secret"
sip2_charset = "CP932"
sip2_screen_messages = true
sip2_timeout_ms = 500

[readers.counter-1]
driver = "pcsc"
pcsc_reader = ")" +
         std::string(kazasu::test::kReader2.name) +
         R"("
plugins = ["library"]
accept = ["jpki"]
level = "verified"

[readers.counter-pin]
driver = "pcsc"
pcsc_reader = ")" +
         std::string(kazasu::test::kReader3.name) +
         R"("
plugins = ["library"]
accept = ["jpki"]
level = "possession"

[identify.jpki]
trust_anchors = [")" +
         (ca / "auth_ca_cert.pem").string() +
         R"("]
)";
}

class LibraryPcsc : public ::testing::Test {
 protected:
  void SetUp() override {
    station_ = std::make_unique<test::LibraryStation>(dir_.path(), config(Cards::get().ca(), ils_.port()));
    for (const char* r : {"counter-1", "counter-pin"}) ASSERT_TRUE(ready(r)) << r << " never became ready";
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "kazasud log:\n" << station_->daemon().log();
  }
  bool ready(const std::string& reader) {
    for (int i = 0; i < 50; ++i) {
      auto m = station_->next_topic("/readers/" + reader, 200ms);
      if (m && json::parse(m->payload)["state"] == "ready") return true;
    }
    return false;
  }
  // Holds `card` on the reader long enough for one read, then takes it away.
  void tap(const std::string& card, const kazasu::test::VirtualReader& reader = kazasu::test::kReader2) {
    ASSERT_TRUE(kazasu::test::wait_for_card(reader.name, false, 5s)) << "the previous card is still on the reader";
    auto sim = std::make_unique<kazasu::test::CardsimProcess>(Cards::get()[card], reader.port,
                                                              std::vector<std::string>{"--hold-ms", "1500"});
    sims_.push_back(std::move(sim));
  }
  json link(const std::string& patron, const std::string& card) {
    EXPECT_EQ(station_->call("link", json{{"patron", patron}}.dump())["ok"], true);
    tap(card);
    return station_->next("linked", 10s);
  }
  json next(const std::string& event) { return station_->next(event, 10s); }

  test::TempDir dir_;
  test::Sip2Fixture ils_{dir_.path() / "ils"};
  std::unique_ptr<test::LibraryStation> station_;
  std::vector<std::unique_ptr<kazasu::test::CardsimProcess>> sims_;
};

TEST_F(LibraryPcsc, LinkThenLendWithTheIlsUpThenDown) {
  EXPECT_EQ(link("P0001", "alice")["assurance"], "verified");
  tap("alice");
  json p = next("patron");
  EXPECT_EQ(p["patron"], "P0001");
  EXPECT_EQ(p["ils"]["charged_items"], 2);
  ils_.stop();
  tap("alice");
  p = next("patron");
  EXPECT_EQ(p["patron"], "P0001");
  EXPECT_EQ(p["ils"], "unavailable");
}

TEST_F(LibraryPcsc, SlowIlsStillGivesThePatron) {
  link("P0001", "alice");
  ils_.mode("slow 2000");
  tap("alice");
  const json p = next("patron");
  EXPECT_EQ(p["patron"], "P0001");
  EXPECT_EQ(p["ils_reason"], "timeout");
}

TEST_F(LibraryPcsc, UnlinkedCardGetsTheLinkHint) {
  tap("bob");
  const json u = next("unknown_card");
  EXPECT_EQ(u["reason"], "not_linked");
  EXPECT_EQ(u["card_kind"], "jpki");
}

TEST_F(LibraryPcsc, RenewedCertificateIsRelinkedToTheSamePatron) {
  link("P0001", "alice");
  tap("alice_renewed");
  EXPECT_EQ(next("unknown_card")["reason"], "not_linked");
  const json r = station_->call("link", R"({"patron": "P0001"})");
  EXPECT_EQ(r["result"]["replaces_card"], true);
  tap("alice_renewed");
  const json linked = next("linked");
  EXPECT_EQ(linked["replaced"], true);
  tap("alice_renewed");
  EXPECT_EQ(next("patron")["patron"], "P0001");
  tap("alice");
  EXPECT_EQ(next("unknown_card")["reason"], "not_linked");
}

TEST_F(LibraryPcsc, CardOfAnotherPatronIsRefusedAndUnlinkFreesIt) {
  link("P0001", "alice");
  ASSERT_EQ(station_->call("link", R"({"patron": "P0002"})")["ok"], true);
  tap("alice");
  const json refused = next("link_refused");
  EXPECT_EQ(refused["reason"], "already_linked");
  EXPECT_EQ(refused["linked_patron"], "P0001");
  ASSERT_EQ(station_->call("unlink", R"({"patron": "P0001"})")["ok"], true);
  EXPECT_EQ(link("P0002", "alice")["replaced"], false);
}

TEST_F(LibraryPcsc, ExpiredCertificateGetsTheExpiredHint) {
  tap("expired");
  const json u = next("unknown_card");
  EXPECT_EQ(u["status"], "expired");
  EXPECT_EQ(u["reason"], "expired");
}

TEST_F(LibraryPcsc, LockedPinGetsTheCityOfficeHint) {
  tap("locked", kazasu::test::kReader3);
  const json u = next("unknown_card");
  EXPECT_EQ(u["status"], "pin_locked");
  EXPECT_NE(u["hint"].get<std::string>().find("city office counter"), std::string::npos);
}

TEST_F(LibraryPcsc, LinkingWithPossessionUsesTheHoldersPin) {
  ASSERT_EQ(station_->call("link", R"({"patron": "P0003", "reader": "counter-pin"})")["ok"], true);
  std::string out;
  ASSERT_EQ(test::run({test::kazasuctl_path(), "--socket", (station_->daemon().dir() / "control.sock").string(), "pin",
                       "--reader", "counter-pin", "--pin", "1234"},
                      out),
            0)
      << out;
  tap("bob", kazasu::test::kReader3);
  const json linked = next("linked");
  EXPECT_EQ(linked["patron"], "P0003");
  EXPECT_EQ(linked["assurance"], "possession");
}

TEST_F(LibraryPcsc, PluginDatabaseHoldsNoSerialAndNoName) {
  link("P0001", "alice");
  tap("alice");
  next("patron");
  const std::string bytes = test::database_bytes(station_->database());
  ASSERT_NE(bytes.find("P0001"), std::string::npos) << "the check must read the right file";
  std::string serial = Cards::get().serial("alice");
  ASSERT_GE(serial.size(), 8U);
  std::string lower = serial;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string raw;
  for (size_t i = 0; i + 1 < serial.size(); i += 2)
    raw += static_cast<char>(std::stoi(serial.substr(i, 2), nullptr, 16));
  EXPECT_EQ(bytes.find(serial), std::string::npos) << "serial (hex) in the plugin's database";
  EXPECT_EQ(bytes.find(lower), std::string::npos) << "serial (lower-case hex) in the plugin's database";
  EXPECT_EQ(bytes.find(raw), std::string::npos) << "serial (raw bytes) in the plugin's database";
  EXPECT_EQ(bytes.find(kHolderName), std::string::npos) << "the holder's name in the plugin's database";
  EXPECT_EQ(bytes.find("図書"), std::string::npos) << "the ILS's name in the plugin's database";
}

}  // namespace
}  // namespace kazasu

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new kazasu::test::PcscdEnvironment);
  return RUN_ALL_TESTS();
}
