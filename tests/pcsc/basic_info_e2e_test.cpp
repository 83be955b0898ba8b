// The basic four end to end: kazasud's pcsc driver reads a kazasu-cardsim
// card in a vpcd reader of a real pcscd, with the card-face PIN armed through
// kazasuctl, and hands them to the one plugin the config grants
// card.basic_info; another plugin on the same reader sees nothing. The
// daemon's files, its log and every MQTT message are searched for the holder's
// name, address and birth date afterwards.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker.hpp"
#include "daemon.hpp"
#include "process.hpp"
#include "reader_harness.hpp"
#include "subscriber.hpp"

namespace kazasu::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

const std::string kName = "選挙\u3000花子";
const std::string kAddress = "東京都テスト市投票町三丁目４番５号";
const std::string kBirth = "19750412";

std::string test_name() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string(info->test_suite_name()) + "." + info->name();
}

std::string config(const std::string& expect_name) {
  const std::string plugins = TEST_PLUGIN_DIR;
  return R"(
[plugins.probe_granted]
path = ")" +
         plugins + R"(/probe_granted.so"
permissions = ["card.basic_info"]
[plugins.probe_granted.config]
expect_name = ")" +
         expect_name + R"("
expect_birth_date = ")" +
         kBirth + R"("

[plugins.probe_plain]
path = ")" +
         plugins + R"(/probe_plain.so"

[readers.counter-1]
driver = "pcsc"
pcsc_reader = ")" +
         std::string(kReader0.name) + R"("
plugins = ["probe_granted", "probe_plain"]
accept = ["jpki"]
level = "fast"

[readers.desk]
driver = "sim"
plugins = ["probe_granted"]
accept = ["jpki"]

[sim.cards.alice]
kind = "jpki"
issuer = "CN=Test CA"
serial = "01AB"
)";
}

class BasicInfoE2e : public ::testing::Test {
 protected:
  void start(const std::string& expect_name = kName) {
    broker_ = std::make_unique<Broker>(dir_.path() / "broker");
    daemon_ = std::make_unique<Daemon>(dir_.path(), daemon_config(dir_.path(), broker_->uri(), config(expect_name)));
    pc_ = std::make_unique<Subscriber>(broker_->uri(), "kazasu/v1/#");
    for (int i = 0; i < 50; ++i) {
      auto m = pc_->next("/readers/counter-1", 200ms);
      if (m && json::parse(m->payload)["state"] == "ready") return;
    }
    FAIL() << "counter-1 never became ready\n" << daemon_->log();
  }
  void TearDown() override {
    if (HasFailure() && daemon_) std::cerr << "kazasud log:\n" << daemon_->log();
  }
  int pin(const std::string& digits, const std::string& purpose, std::string* out = nullptr) {
    std::string output;
    const int rc = run({kazasuctl_path(), "--socket", (dir_.path() / "control.sock").string(), "pin", "--reader",
                        "counter-1", "--pin", digits, "--for", purpose},
                       output);
    if (out != nullptr) *out = output;
    return rc;
  }
  fs::path holder_card(const std::vector<std::string>& more = {}) {
    std::vector<std::string> extra = {"--name", kName, "--address", kAddress, "--birth", kBirth};
    extra.insert(extra.end(), more.begin(), more.end());
    return card("valid", extra);
  }
  // Holds the card on counter-1 for one read and returns both plugins' `seen`.
  std::pair<json, json> tap(const fs::path& card_dir) {
    EXPECT_TRUE(wait_for_card(kReader0.name, false, 5s)) << "the previous card is still on the reader";
    sims_.push_back(std::make_unique<CardsimProcess>(
        card_dir, kReader0.port,
        std::vector<std::string>{"--hold-ms", "1500", "--trace", trace_file(test_name()).string()}));
    return {next("/probe_granted/seen"), next("/probe_plain/seen")};
  }
  json next(const std::string& suffix) {
    auto m = pc_->next(suffix, 10s);
    if (!m) throw std::runtime_error("no " + suffix + " message");
    payloads_ += m->payload;
    return json::parse(m->payload);
  }
  // Every byte kazasud wrote under its data directory (SQLite files, WAL, stage logs).
  std::string data_bytes() const {
    std::string all;
    for (const auto& e : fs::recursive_directory_iterator(dir_.path() / "data")) {
      if (e.is_regular_file()) all += read_file(e.path());
    }
    return all;
  }

  TempDir dir_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Subscriber> pc_;
  std::vector<std::unique_ptr<CardsimProcess>> sims_;
  std::string payloads_;
};

TEST_F(BasicInfoE2e, OnlyTheGrantedPluginSeesTheBasicFourAndNothingKeepsThem) {
  start();
  ASSERT_EQ(pin("1234", "basic_info"), 0);
  auto [granted, plain] = tap(holder_card());
  EXPECT_EQ(granted["status"], "ok");
  EXPECT_EQ(granted["basic_info_status"], "read") << granted.dump();
  EXPECT_EQ(granted["has_basic_info"], true);
  EXPECT_EQ(granted["name_matches"], true);
  EXPECT_EQ(granted["birth_matches"], true);
  EXPECT_EQ(granted["address_present"], true);
  EXPECT_EQ(plain["status"], "ok");
  EXPECT_EQ(plain["identified"], true);
  EXPECT_EQ(plain["basic_info_status"], "") << "a plugin without the grant does not even learn a read happened";
  EXPECT_EQ(plain["has_basic_info"], false);

  const std::string log = daemon_->log();
  const std::string data = data_bytes();
  for (const std::string& secret : {kName, kAddress, kBirth, std::string("選挙")}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "the daemon's log holds the basic four";
    EXPECT_EQ(data.find(secret), std::string::npos) << "the daemon's files hold the basic four";
    EXPECT_EQ(payloads_.find(secret), std::string::npos) << "an MQTT message holds the basic four";
  }
  EXPECT_EQ(log.find("1234"), std::string::npos) << "the PIN reached the log";
}

TEST_F(BasicInfoE2e, AMismatchIsAVerdictNotAnError) {
  start("別人\u3000太郎");
  ASSERT_EQ(pin("1234", "basic_info"), 0);
  auto [granted, plain] = tap(holder_card({"--pin", "1111"}));
  EXPECT_EQ(granted["basic_info_status"], "read");
  EXPECT_EQ(granted["name_matches"], false);
  EXPECT_EQ(granted["birth_matches"], true);
}

TEST_F(BasicInfoE2e, WithoutThePinTheTapStillIdentifiesTheCard) {
  start();
  auto [granted, plain] = tap(holder_card({"--pin", "2222"}));
  EXPECT_EQ(granted["status"], "ok");
  EXPECT_EQ(granted["identified"], true);
  EXPECT_EQ(granted["basic_info_status"], "no_pin");
  EXPECT_EQ(granted["has_basic_info"], false);
  EXPECT_EQ(plain["status"], "ok");
}

TEST_F(BasicInfoE2e, AWrongPinSaysHowManyTriesAreLeft) {
  start();
  const fs::path c = holder_card({"--text-pin", "5678"});
  ASSERT_EQ(pin("1234", "basic_info"), 0);
  auto [granted, plain] = tap(c);
  EXPECT_EQ(granted["status"], "ok");
  EXPECT_EQ(granted["basic_info_status"], "pin_wrong");
  EXPECT_NE(granted["basic_info_message"].get<std::string>().find("2 tries left"), std::string::npos) << granted.dump();
  // The right PIN next time opens them, and the counter is back to full.
  ASSERT_EQ(pin("5678", "basic_info"), 0);
  auto [again, plain_again] = tap(c);
  EXPECT_EQ(again["basic_info_status"], "read");
  EXPECT_EQ(again["name_matches"], true);
}

TEST_F(BasicInfoE2e, AnAuthPinIsNotACardFacePin) {
  start();
  ASSERT_EQ(pin("1234", "auth"), 0);
  auto [granted, plain] = tap(holder_card({"--pin", "3333"}));
  EXPECT_EQ(granted["basic_info_status"], "no_pin");
}

TEST_F(BasicInfoE2e, ASimulatedReaderCannotReadTheBasicFour) {
  start();
  daemon_->tap("desk", "alice");
  const json seen = next("/probe_granted/seen");
  EXPECT_EQ(seen["status"], "ok");
  EXPECT_EQ(seen["basic_info_status"], "not_available");
  EXPECT_NE(seen["basic_info_message"].get<std::string>().find("driver sim"), std::string::npos) << seen.dump();
}

TEST_F(BasicInfoE2e, KazasuctlRefusesAnUnknownPurposeOrAMalformedPin) {
  start();
  std::string out;
  EXPECT_EQ(pin("1234", "my_number", &out), 1);
  EXPECT_NE(out.find("basic_info"), std::string::npos) << out;
  EXPECT_EQ(pin("12345", "basic_info", &out), 1);
  EXPECT_NE(out.find("card-face PIN is 4 digits"), std::string::npos) << out;
  EXPECT_EQ(out.find("12345"), std::string::npos) << "the PIN is never echoed";
}

}  // namespace
}  // namespace kazasu::test
