// Points on the real card path: kazasu-cardsim cards in vpcd readers of a
// real pcscd, read by kazasud's pcsc driver, tokens to the points plugin,
// outcomes over a real mosquitto. desk-1 registers and awards; kiosk-1 is a
// balance reader.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
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

// Cards for this process, made once.
class Cards {
 public:
  static Cards& get() {
    static Cards cards;
    return cards;
  }
  fs::path operator[](const std::string& name) const { return made_.at(name); }

 private:
  Cards() {
    if (test::run_cardsim_tool({"make-ca", "--out", (dir_.path() / "ca").string()}) != 0)
      throw std::runtime_error("make-ca failed");
    make("resident", {"--variant", "valid"});
    make("visitor", {"--variant", "valid"});
  }
  void make(const std::string& name, std::vector<std::string> args) {
    const fs::path out = dir_.path() / name;
    args.insert(args.begin(), {"make-card", "--ca", (dir_.path() / "ca").string(), "--out", out.string()});
    if (test::run_cardsim_tool(args) != 0) throw std::runtime_error("make-card " + name + " failed");
    made_[name] = out;
  }
  test::TempDir dir_;
  std::map<std::string, fs::path> made_;
};

std::string config() {
  return R"(
[diagnostics]
settable_clock = true

[plugins.points]
[plugins.points.config]
facility = "community-hall"
rules = ["facility=community-hall points=10 per_day=1"]
register_reader = "desk-1"
balance_readers = ["kiosk-1"]

[readers.desk-1]
driver = "pcsc"
pcsc_reader = ")" +
         std::string(kReader0.name) + R"("
plugins = ["points"]
accept = ["jpki"]
level = "fast"

[readers.kiosk-1]
driver = "pcsc"
pcsc_reader = ")" +
         std::string(kReader1.name) + R"("
plugins = ["points"]
accept = ["jpki"]
level = "fast"
)";
}

class PointsPcsc : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "Asia/Tokyo", 1);
    broker_ = std::make_unique<test::Broker>(dir_.path() / "broker");
    daemon_ = std::make_unique<test::Daemon>(dir_.path(), test::daemon_config(dir_.path(), broker_->uri(), config()));
    pc_ = std::make_unique<test::Subscriber>(broker_->uri(), "kazasu/v1/#");
    for (const char* r : {"desk-1", "kiosk-1"}) ASSERT_TRUE(ready(r)) << r << " never became ready";
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
  void clock_set(const std::string& rfc3339) {
    std::string out;
    ASSERT_EQ(test::run({test::kazasuctl_path(), "--socket", (dir_.path() / "control.sock").string(), "clock", "set",
                         rfc3339},
                        out),
              0)
        << out;
  }
  // Holds `card` on the reader for one read, then takes it away.
  void tap(const std::string& card, const VirtualReader& reader = kReader0, std::vector<std::string> extra = {}) {
    ASSERT_TRUE(test::wait_for_card(reader.name, false, 5s)) << "the previous card is still on the reader";
    if (extra.empty()) extra = {"--hold-ms", "1500"};
    sims_.push_back(std::make_unique<test::CardsimProcess>(Cards::get()[card], reader.port, extra));
  }
  json call(const std::string& name, const json& payload) {
    char corr[32];
    std::snprintf(corr, sizeof corr, "c%d", ++calls_);
    pc_->publish(kRoot + "points/cmd/" + name, payload.dump(), kRoot + "replies/pc-1/" + name, corr);
    auto m = pc_->next("/replies/pc-1/" + name, 5s);
    if (!m) throw std::runtime_error("no reply to points/cmd/" + name);
    return json::parse(m->payload);
  }
  json next(const std::string& event) {
    auto m = pc_->next("/points/" + event, 10s);
    if (!m) throw std::runtime_error("no points/" + event + " message");
    return json::parse(m->payload);
  }

  test::TempDir dir_;
  std::unique_ptr<test::Broker> broker_;
  std::unique_ptr<test::Daemon> daemon_;
  std::unique_ptr<test::Subscriber> pc_;
  std::vector<std::unique_ptr<test::CardsimProcess>> sims_;
  int calls_ = 0;
};

TEST_F(PointsPcsc, AMyNumberCardRegistersEarnsAndReadsItsBalance) {
  clock_set("2027-06-01T10:00:00+09:00");
  const json armed = call("register", json{{"consent", true}, {"consent_method", "paper"}});
  ASSERT_EQ(armed["ok"], true) << armed.dump();
  EXPECT_EQ(armed["result"]["reader"], "desk-1");
  tap("resident");
  const json reg = next("registered");
  const std::string token = reg["token"];
  EXPECT_EQ(reg["card_kind"], "jpki");
  EXPECT_EQ(reg["consent_method"], "paper");

  tap("resident");
  const json award = next("award");
  EXPECT_EQ(award["token"], token);
  EXPECT_EQ(award["awarded"], 10);
  EXPECT_EQ(award["chime"], "award");
  EXPECT_EQ(award["reader"], "desk-1");
  tap("resident");
  EXPECT_EQ(next("refused")["reason"], "daily_limit");

  tap("resident", kReader1);
  const json balance = next("balance");
  EXPECT_EQ(balance["balance"], 10);
  EXPECT_EQ(balance["reader"], "kiosk-1");
  ASSERT_EQ(balance["history"].size(), 1u) << balance.dump();
  EXPECT_EQ(balance["history"][0]["kind"], "visit");
  EXPECT_EQ(call("balance", json{{"token", token}})["result"]["balance"], 10);
}

TEST_F(PointsPcsc, AnUnregisteredCardAndACardPulledMidReadEarnNothingAndNameNobody) {
  clock_set("2027-06-02T10:00:00+09:00");
  tap("visitor");
  const json u = next("unknown_card");
  EXPECT_EQ(u["reason"], "not_registered");
  EXPECT_EQ(u["chime"], "refused");
  EXPECT_FALSE(u.contains("token"));
  tap("visitor", kReader0, {"--fault", "remove-after:1"});
  const json pulled = next("unknown_card");
  EXPECT_EQ(pulled["status"], "read_failed") << pulled.dump();
  EXPECT_FALSE(pc_->next("/points/award", 500ms));
}

}  // namespace
}  // namespace kazasu

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new kazasu::test::PcscdEnvironment);
  return RUN_ALL_TESTS();
}
