// Election reception on the real card path: kazasu-cardsim cards in vpcd
// readers of a real pcscd, read by kazasud's pcsc driver, outcomes over a
// real mosquitto. The registration counter links a card at possession
// assurance (the auth PIN); the reception reader finds a voter by the card's
// basic four read with the card-face PIN and matched on the roll. Wrong and
// locked PINs of both kinds are outcomes with hints, and nothing the card
// gave (spelled as the card spells it) reaches the plugin's file, the log or
// the bus.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "broker.hpp"
#include "daemon.hpp"
#include "pcsc_fixture.hpp"
#include "process.hpp"
#include "subscriber.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;
using test::kReader0;
using test::kReader1;
using test::VirtualReader;

const std::string kRoot = "kazasu/v1/test-city/station-1/";
// The card writes the address with full-width digits and dash and the name
// with an ideographic space; the roll with ASCII. They match once normalised,
// and the card's spelling is what must never be stored.
const std::string kCardName = "三条\u3000太郎";
const std::string kCardAddress = "新潟県三条市旭町二丁目３－１";
const std::string kRoll =
    "voter_number,name_kanji,name_kana,birth_date,sex,district,station,note,address\n"
    "1001,三条 太郎,サンジョウ タロウ,1980-05-01,1,第1投票区,station-1,,新潟県三条市旭町二丁目3-1\n"
    "1002,栄 花子,サカエ ハナコ,1985-07-12,2,第1投票区,station-1,,新潟県三条市栄町1-2\n";

class Cards {
 public:
  static Cards& get() {
    static Cards cards;
    return cards;
  }
  [[nodiscard]] fs::path ca() const { return dir_.path() / "ca"; }
  fs::path make(const std::string& name, std::vector<std::string> args) {
    const fs::path out = dir_.path() / name;
    if (fs::exists(out)) fs::remove_all(out);  // PIN counters live in the card: each test starts fresh
    args.insert(args.begin(), {"make-card", "--ca", ca().string(), "--out", out.string()});
    if (test::run_cardsim_tool(args) != 0) throw std::runtime_error("make-card " + name + " failed");
    return out;
  }

 private:
  Cards() {
    if (test::run_cardsim_tool({"make-ca", "--out", ca().string()}) != 0) throw std::runtime_error("make-ca failed");
  }
  test::TempDir dir_;
};

std::string config() {
  return R"(
[diagnostics]
settable_clock = true

[identify.jpki]
trust_anchors = [")" +
         (Cards::get().ca() / "auth_ca_cert.pem").string() + R"("]

[plugins.election]
permissions = ["card.basic_info"]
[plugins.election.config]
polling_station = "station-1"
counter_reader = "counter-1"
find_by = ["token", "basic_four"]

[readers.reception-1]
driver = "pcsc"
pcsc_reader = ")" +
         std::string(kReader0.name) + R"("
plugins = ["election"]
accept = ["jpki"]
level = "fast"

[readers.counter-1]
driver = "pcsc"
pcsc_reader = ")" +
         std::string(kReader1.name) + R"("
plugins = ["election"]
accept = ["jpki"]
level = "possession"
)";
}

class ElectionPcsc : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "Asia/Tokyo", 1);
    broker_ = std::make_unique<test::Broker>(dir_.path() / "broker");
    daemon_ = std::make_unique<test::Daemon>(dir_.path(), test::daemon_config(dir_.path(), broker_->uri(), config()));
    pc_ = std::make_unique<test::Subscriber>(broker_->uri(), "kazasu/v1/#");
    for (const char* r : {"reception-1", "counter-1"}) ASSERT_TRUE(ready(r)) << r << " never became ready";
    clock_set("2027-04-06T10:00:00+09:00");
    const json open{
        {"election", "city-2027"},          {"name", "三条市議会議員一般選挙"}, {"early_voting_start", "2027-04-05"},
        {"early_voting_end", "2027-04-10"}, {"election_day", "2027-04-11"},     {"stations", {{{"id", "station-1"}}}}};
    ASSERT_EQ(call("open", open)["ok"], true);
    const json roll = call("import_roll", {{"election", "city-2027"}, {"csv", kRoll}});
    ASSERT_EQ(roll["result"]["imported"], true) << roll.dump();
  }
  void TearDown() override {
    if (HasFailure() && daemon_) std::cerr << "kazasud log:\n" << daemon_->log();
  }
  bool ready(const std::string& reader) {
    for (int i = 0; i < 50; ++i) {
      auto m = pc_->next("/readers/" + reader, 200ms);
      if (m && json::parse(m->payload)["state"] == "ready") return true;
    }
    return false;
  }
  int ctl(std::vector<std::string> args, std::string* out = nullptr) {
    args.insert(args.begin(), {test::kazasuctl_path(), "--socket", (dir_.path() / "control.sock").string()});
    std::string o;
    const int rc = test::run(args, o);
    if (out != nullptr) *out = o;
    return rc;
  }
  void clock_set(const std::string& at) { ASSERT_EQ(ctl({"clock", "set", at}), 0); }
  void pin(const std::string& reader, const std::string& digits, const std::string& purpose) {
    ASSERT_EQ(ctl({"pin", "--reader", reader, "--pin", digits, "--for", purpose}), 0);
  }
  void tap(const fs::path& card, const VirtualReader& reader) {
    ASSERT_TRUE(test::wait_for_card(reader.name, false, 5s)) << "the previous card is still on the reader";
    sims_.push_back(
        std::make_unique<test::CardsimProcess>(card, reader.port, std::vector<std::string>{"--hold-ms", "1500"}));
  }
  json call(const std::string& name, const json& payload) {
    pc_->publish(kRoot + "election/cmd/" + name, payload.dump(), kRoot + "replies/pc-1/" + name, "c");
    auto m = pc_->next("/replies/pc-1/" + name, 10s);
    if (!m) throw std::runtime_error("no reply to election/cmd/" + name);
    bus_ += m->payload;
    return json::parse(m->payload);
  }
  json next(const std::string& event) {
    auto m = pc_->next("/election/" + event, 10s);
    if (!m) throw std::runtime_error("no election/" + event + " message\n" + daemon_->log());
    bus_ += m->payload;
    return json::parse(m->payload);
  }
  fs::path holder(const std::string& name, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"--variant",  "valid",   "--name",   kCardName, "--address",
                                     kCardAddress, "--birth", "19800501", "--sex",   "1"};
    args.insert(args.end(), more.begin(), more.end());
    return Cards::get().make(name, args);
  }
  std::string data_bytes() const {
    std::string all;
    for (const auto& e : fs::recursive_directory_iterator(dir_.path() / "data")) {
      if (e.is_regular_file()) all += test::read_file(e.path());
    }
    return all;
  }

  test::TempDir dir_;
  std::unique_ptr<test::Broker> broker_;
  std::unique_ptr<test::Daemon> daemon_;
  std::unique_ptr<test::Subscriber> pc_;
  std::vector<std::unique_ptr<test::CardsimProcess>> sims_;
  std::string bus_;
};

TEST_F(ElectionPcsc, TheCardFacePinFindsTheVoterOnTheRollAndNothingFromTheCardIsKept) {
  const fs::path card = holder("taro");
  pin("reception-1", "1234", "basic_info");
  tap(card, kReader0);
  const json m = next("match");
  EXPECT_EQ(m["voter_number"], "1001") << m.dump();
  EXPECT_EQ(m["match"], "basic_four");
  EXPECT_EQ(m["reader"], "reception-1");
  const json c = call("confirm", {{"election", "city-2027"}, {"voter_number", "1001"}});
  ASSERT_EQ(c["ok"], true) << c.dump();
  EXPECT_EQ(c["result"]["received"], true);
  EXPECT_EQ(c["result"]["match"], "basic_four");
  // A second tap: the hard stop.
  pin("reception-1", "1234", "basic_info");
  tap(card, kReader0);
  EXPECT_EQ(next("already_received")["received_at_station"], "station-1");

  const std::string files = data_bytes();
  const std::string log = daemon_->log();
  for (const std::string& from_card : {kCardName, kCardAddress, std::string("19800501")}) {
    EXPECT_EQ(files.find(from_card), std::string::npos) << "the data directory holds " << from_card;
    EXPECT_EQ(log.find(from_card), std::string::npos) << "the log holds " << from_card;
    EXPECT_EQ(bus_.find(from_card), std::string::npos) << "a message holds " << from_card;
  }
}

TEST_F(ElectionPcsc, AWrongCardFacePinThenALockedOneSendStaffToTheRoll) {
  const fs::path card = holder("taro-wrong", {"--text-pin", "5678"});
  pin("reception-1", "1234", "basic_info");
  tap(card, kReader0);
  json u = next("unknown_card");
  EXPECT_EQ(u["reason"], "basic_four_pin_wrong") << u.dump();
  EXPECT_FALSE(u.contains("voter_number"));
  pin("reception-1", "1111", "basic_info");
  tap(card, kReader0);
  EXPECT_EQ(next("unknown_card")["reason"], "basic_four_pin_wrong");
  pin("reception-1", "2222", "basic_info");  // the third wrong try blocks the PIN
  tap(card, kReader0);
  u = next("unknown_card");
  EXPECT_EQ(u["reason"], "basic_four_pin_locked") << u.dump();
  pin("reception-1", "5678", "basic_info");  // even the right PIN now
  tap(card, kReader0);
  EXPECT_EQ(next("unknown_card")["reason"], "basic_four_pin_locked");
  // No card: staff receive the voter from the roll.
  const json roll = call("confirm", {{"election", "city-2027"}, {"voter_number", "1001"}, {"without_card", true}});
  EXPECT_EQ(roll["result"]["match"], "roll") << roll.dump();
}

TEST_F(ElectionPcsc, TheCounterLinksWithTheAuthPinAndALockedPinIsRefused) {
  const fs::path hanako = Cards::get().make("hanako", {"--variant", "valid", "--pin", "4321"});
  ASSERT_EQ(call("link", {{"election", "city-2027"}, {"voter_number", "1002"}})["ok"], true);
  pin("counter-1", "1234", "auth");  // wrong: the arm stays for another try
  tap(hanako, kReader1);
  const json wrong = next("link_refused");
  EXPECT_EQ(wrong["reason"], "pin_wrong") << wrong.dump();
  pin("counter-1", "4321", "auth");
  tap(hanako, kReader1);
  const json linked = next("linked");
  EXPECT_EQ(linked["voter_number"], "1002");
  EXPECT_EQ(linked["assurance"], "possession");
  // At reception the linked card needs no PIN at all.
  tap(hanako, kReader0);
  EXPECT_EQ(next("match")["match"], "token");

  const fs::path locked = Cards::get().make("locked", {"--variant", "locked-pin"});
  ASSERT_EQ(call("link", {{"election", "city-2027"}, {"voter_number", "1001"}})["ok"], true);
  pin("counter-1", "1234", "auth");
  tap(locked, kReader1);
  const json refused = next("link_refused");
  EXPECT_EQ(refused["reason"], "pin_locked") << refused.dump();
  EXPECT_FALSE(refused["hint"].get<std::string>().empty());
}

}  // namespace
}  // namespace kazasu

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new kazasu::test::PcscdEnvironment);
  return RUN_ALL_TESTS();
}
