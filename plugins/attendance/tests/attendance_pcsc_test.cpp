// Attendance on the real card path: kazasu-cardsim cards in vpcd readers of a
// real pcscd, read by kazasud's pcsc driver, tokens to the attendance plugin,
// outcomes over a real mosquitto; the daemon's settable clock moves the day.
// door-1 takes My Number Cards (jpki) and staff badges (uid); door-2, a
// school's badge-only reader, takes uid alone.
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
    make("tanaka", {"--variant", "valid"});
    make("tanaka_renewed", {"--variant", "renewed", "--from", made_["tanaka"].string()});
    make("badge", {"--variant", "badge", "--uid", "04A1B2C3D4E5F6"});
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

[plugins.attendance]
[plugins.attendance.config]
min_gap_s = 60

[readers.door-1]
driver = "pcsc"
pcsc_reader = ")" +
         std::string(kReader0.name) + R"("
plugins = ["attendance"]
accept = ["jpki", "uid"]
level = "fast"

[readers.door-2]
driver = "pcsc"
pcsc_reader = ")" +
         std::string(kReader1.name) + R"("
plugins = ["attendance"]
accept = ["uid"]
)";
}

class AttendancePcsc : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "Asia/Tokyo", 1);
    broker_ = std::make_unique<test::Broker>(dir_.path() / "broker");
    daemon_ = std::make_unique<test::Daemon>(dir_.path(), test::daemon_config(dir_.path(), broker_->uri(), config()));
    pc_ = std::make_unique<test::Subscriber>(broker_->uri(), "kazasu/v1/#");
    for (const char* r : {"door-1", "door-2"}) ASSERT_TRUE(ready(r)) << r << " never became ready";
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
    pc_->publish(kRoot + "attendance/cmd/" + name, payload.dump(), kRoot + "replies/pc-1/" + name, corr);
    auto m = pc_->next("/replies/pc-1/" + name, 5s);
    if (!m) throw std::runtime_error("no reply to attendance/cmd/" + name);
    return json::parse(m->payload);
  }
  json next(const std::string& event) {
    auto m = pc_->next("/attendance/" + event, 10s);
    if (!m) throw std::runtime_error("no attendance/" + event + " message");
    return json::parse(m->payload);
  }
  void enroll(const std::string& staff, const std::string& card, const std::string& reader, const VirtualReader& vr) {
    const json r = call("enroll", json{{"staff", staff}, {"section", "fire-station-2"}, {"reader", reader}});
    ASSERT_EQ(r["ok"], true) << r.dump();
    tap(card, vr);
    const json e = next("enrolled");
    ASSERT_EQ(e["staff"], staff) << e.dump();
  }

  test::TempDir dir_;
  std::unique_ptr<test::Broker> broker_;
  std::unique_ptr<test::Daemon> daemon_;
  std::unique_ptr<test::Subscriber> pc_;
  std::vector<std::unique_ptr<test::CardsimProcess>> sims_;
  int calls_ = 0;
};

TEST_F(AttendancePcsc, MyNumberCardEnrollsThenClocksInAndOut) {
  clock_set("2027-06-01T08:00:00+09:00");
  enroll("F101", "tanaka", "door-1", kReader0);
  clock_set("2027-06-01T08:30:00+09:00");
  tap("tanaka");
  json c = next("clock");
  EXPECT_EQ(c["staff"], "F101");
  EXPECT_EQ(c["direction"], "in");
  EXPECT_EQ(c["reader"], "door-1");
  EXPECT_EQ(c["time"].get<std::string>().rfind("2027-06-01T08:30:", 0), 0u) << c.dump();
  // The roster republished by the enrolment tap came first; this tap's follows it.
  json roster = next("roster");
  if (roster["in"].empty()) roster = next("roster");
  ASSERT_EQ(roster["in"].size(), 1u) << roster.dump();
  EXPECT_EQ(roster["in"][0]["staff"], "F101");
  EXPECT_EQ(roster["in"][0]["reader"], "door-1");

  tap("tanaka");  // the same minute: a double tap, not a clock-out
  EXPECT_EQ(next("ignored")["reason"], "double_tap");

  clock_set("2027-06-01T19:15:00+09:00");
  tap("tanaka");
  c = next("clock");
  EXPECT_EQ(c["direction"], "out");
  // A Tuesday, the default pattern 08:30-17:15: the two hours after 17:15 are overtime.
  EXPECT_EQ(c["worked_h"], "9.75") << c.dump();  // 10.75 h less the pattern's 1 h break
  EXPECT_EQ(c["overtime_h"], "2.00") << c.dump();
  EXPECT_EQ(c["holiday_h"], "0.00") << c.dump();
}

TEST_F(AttendancePcsc, StaffBadgeOnABadgeOnlyReader) {
  clock_set("2027-06-02T07:55:00+09:00");
  enroll("T205", "badge", "door-2", kReader1);
  clock_set("2027-06-02T08:00:00+09:00");
  tap("badge", kReader1);
  const json c = next("clock");
  EXPECT_EQ(c["staff"], "T205");
  EXPECT_EQ(c["reader"], "door-2");
  EXPECT_EQ(c["direction"], "in");
  // A My Number Card is not a badge: door-2 refuses it and nobody is clocked.
  tap("tanaka", kReader1);
  const json u = next("unknown_card");
  EXPECT_EQ(u["status"], "card_not_accepted") << u.dump();
  EXPECT_EQ(u.contains("token"), false);
}

TEST_F(AttendancePcsc, ACardPulledMidReadClocksNobody) {
  clock_set("2027-06-03T08:00:00+09:00");
  enroll("F101", "tanaka", "door-1", kReader0);
  clock_set("2027-06-03T08:30:00+09:00");
  tap("tanaka", kReader0, {"--fault", "remove-after:1"});
  const json u = next("unknown_card");
  EXPECT_EQ(u["status"], "read_failed") << u.dump();
  EXPECT_EQ(u["reason"], "read_failed");
  // Tapped again properly, it is the clock-in, not a clock-out of a phantom shift.
  tap("tanaka");
  EXPECT_EQ(next("clock")["direction"], "in");
}

TEST_F(AttendancePcsc, ARenewedCertificateNeedsEnrollingAgain) {
  clock_set("2027-06-04T08:00:00+09:00");
  enroll("F101", "tanaka", "door-1", kReader0);
  tap("tanaka_renewed");
  const json u = next("unknown_card");
  EXPECT_EQ(u["reason"], "not_enrolled");
  EXPECT_EQ(u.contains("token"), false);  // a card not enrolled is never identified on the bus
  // Enrolled again on an armed reader; the section and pattern are kept.
  const json r = call("enroll", json{{"staff", "F101"}, {"reader", "door-1"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  tap("tanaka_renewed");
  const json e = next("enrolled");
  EXPECT_EQ(e["replaced"], true);
  EXPECT_EQ(e["section"], "fire-station-2");
  clock_set("2027-06-04T08:30:00+09:00");
  tap("tanaka_renewed");
  EXPECT_EQ(next("clock")["staff"], "F101");
}

}  // namespace
}  // namespace kazasu

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new kazasu::test::PcscdEnvironment);
  return RUN_ALL_TESTS();
}
