// The attendance plugin as the real .so in a real kazasud with simulated wall
// readers (a staff badge by UID and a My Number Card), a real mosquitto, and
// the daemon's settable clock moved across day, month and fiscal-year ends.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "broker.hpp"
#include "daemon.hpp"
#include "process.hpp"
#include "subscriber.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kRoot = "kazasu/v1/test-city/station-1/";

const std::string kReaders = R"(
[diagnostics]
settable_clock = true

[readers.door-1]
driver = "sim"
plugins = ["attendance"]
accept = ["jpki", "uid"]

[sim.cards.badge]
kind = "uid"
uid = "04A1B2C3"

[sim.cards.alice]
kind = "jpki"
serial = "0x1A2B3C4D"

[sim.cards.worn]
kind = "jpki"
serial = "0x00"
result = "read_failed"
message = "the card was removed during the read"
)";

class AttendanceEndToEnd : public ::testing::Test {
 protected:
  // Day boundaries are in Japan time: the daemon takes its offset from TZ.
  void start(const std::string& plugin_config) {
    setenv("TZ", "Asia/Tokyo", 1);
    broker_ = std::make_unique<test::Broker>(dir_.path() / "broker");
    const std::string extra = "[plugins.attendance]\n[plugins.attendance.config]\n" + plugin_config + "\n" + kReaders;
    daemon_ = std::make_unique<test::Daemon>(dir_.path(), test::daemon_config(dir_.path(), broker_->uri(), extra));
    pc_ = std::make_unique<test::Subscriber>(broker_->uri(), "kazasu/v1/#");
    ASSERT_TRUE(pc_->next("/status", 5s)) << daemon_->log();
  }
  void TearDown() override {
    if (HasFailure() && daemon_) std::cerr << "kazasud log:\n" << daemon_->log();
  }

  void clock_set(const std::string& rfc3339) {
    std::string out;
    ASSERT_EQ(test::run({test::kazasuctl_path(), "--socket", (dir_.path() / "control.sock").string(), "clock", "set",
                         rfc3339},
                        out),
              0)
        << out;
  }
  json call(const std::string& name, const json& payload) {
    char corr[32];
    std::snprintf(corr, sizeof corr, "c%d", ++calls_);
    pc_->publish(kRoot + "attendance/cmd/" + name, payload.dump(), kRoot + "replies/pc-1/" + name, corr);
    auto m = pc_->next("/replies/pc-1/" + name, 5s);
    if (!m) throw std::runtime_error("no reply to attendance/cmd/" + name);
    return json::parse(m->payload);
  }
  json next(const std::string& event, std::chrono::milliseconds timeout = 5s) {
    auto m = pc_->next("/attendance/" + event, timeout);
    if (!m) throw std::runtime_error("no attendance/" + event + " message");
    return json::parse(m->payload);
  }
  bool arrives(const std::string& event, std::chrono::milliseconds timeout) {
    return pc_->next("/attendance/" + event, timeout).has_value();
  }
  // Enrolls `card` as `staff` by arming door-1 and tapping once.
  void enroll(const std::string& staff, const std::string& card) {
    const json r = call("enroll", json{{"staff", staff},
                                       {"section", "general-affairs"},
                                       {"section_type", "ordinary"},
                                       {"pattern", {{"start", "08:30"}, {"end", "17:15"}}},
                                       {"reader", "door-1"}});
    ASSERT_EQ(r["ok"], true) << r.dump();
    daemon_->tap("door-1", card);
    ASSERT_EQ(next("enrolled")["staff"], staff);
  }
  static std::string time_of(const json& clock) { return clock["time"].get<std::string>(); }

  test::TempDir dir_;
  std::unique_ptr<test::Broker> broker_;
  std::unique_ptr<test::Daemon> daemon_;
  std::unique_ptr<test::Subscriber> pc_;
  int calls_ = 0;
};

TEST_F(AttendanceEndToEnd, BadgeEnrollsClocksInAndOutAndTheRosterIsRetained) {
  start("");
  clock_set("2027-04-05T08:20:00+09:00");
  enroll("S001", "badge");
  clock_set("2027-04-05T08:25:00+09:00");
  const std::string id = daemon_->tap("door-1", "badge");
  json c = next("clock");
  EXPECT_EQ(c["id"], id);
  EXPECT_EQ(c["direction"], "in");
  EXPECT_EQ(c["staff"], "S001");
  EXPECT_EQ(c["reader"], "door-1");
  EXPECT_EQ(time_of(c).rfind("2027-04-05T08:25:", 0), 0u) << c.dump();

  // Someone who subscribes later (the disaster desk) still sees who is in.
  test::Subscriber desk(broker_->uri(), kRoot + "attendance/roster");
  auto roster = desk.next("/attendance/roster", 5s);
  ASSERT_TRUE(roster);
  EXPECT_TRUE(roster->retained);
  const json r = json::parse(roster->payload);
  ASSERT_EQ(r["in"].size(), 1u);
  EXPECT_EQ(r["in"][0]["staff"], "S001");
  EXPECT_EQ(r["in"][0]["section"], "general-affairs");

  daemon_->tap("door-1", "badge");  // seconds later: a double tap
  EXPECT_EQ(next("ignored")["reason"], "double_tap");

  clock_set("2027-04-05T18:15:00+09:00");
  daemon_->tap("door-1", "badge");
  c = next("clock");
  EXPECT_EQ(c["direction"], "out");
  EXPECT_EQ(c["overtime_h"].get<std::string>().substr(0, 3), "1.0") << c.dump();

  const json e = call("export", json{{"month", "2027-04"}});
  ASSERT_EQ(e["ok"], true) << e.dump();
  const std::string csv = e["result"]["csv"];
  EXPECT_EQ(
      csv.rfind("staff,date,in,out,worked,overtime,holiday,break\r\nS001,2027-04-05,2027-04-05 08:25,2027-04-05 18:15,",
                0),
      0u)
      << csv;
}

TEST_F(AttendanceEndToEnd, MyNumberCardEnrolledOnAnArmedReaderIsClosedByRuleWhenTheClockPassesTheHour) {
  start("");
  clock_set("2027-03-31T09:00:00+09:00");
  daemon_->tap("door-1", "alice");
  const json u = next("unknown_card");
  ASSERT_EQ(u["reason"], "not_enrolled");
  EXPECT_FALSE(u.contains("token"));  // a card not enrolled is never identified on the bus
  const json r = call("enroll", json{{"staff", "S002"}, {"section", "schools"}, {"reader", "door-1"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  daemon_->tap("door-1", "alice");
  ASSERT_EQ(next("enrolled")["staff"], "S002");
  // The personnel office's approver, enrolled by a token its own tool kept.
  const json m = call(
      "enroll", json{{"staff", "M100"}, {"section", "personnel"}, {"approver", true}, {"token", std::string(64, 'a')}});
  ASSERT_EQ(m["ok"], true) << m.dump();
  ASSERT_EQ(next("enrolled")["approver"], true);
  daemon_->tap("door-1", "alice");
  EXPECT_EQ(next("clock")["direction"], "in");
  EXPECT_FALSE(arrives("clock", 1500ms)) << "closed before its time";

  clock_set("2027-04-01T05:00:30+09:00");  // across the fiscal-year end
  const json c = next("clock");
  EXPECT_EQ(c["direction"], "out");
  EXPECT_EQ(c["auto_closed"], true);
  EXPECT_EQ(c["reason"], "missing_clock_out");
  EXPECT_EQ(c["time"], "2027-03-31T17:15:00+09:00");
  EXPECT_EQ(c["reader"], "");  // a timer's outcome has no reader
  EXPECT_EQ(next("roster")["in"].size(), 0u);

  const json fix = call("correct", json{{"staff", "S002"},
                                        {"date", "2027-03-31"},
                                        {"in", "09:00"},
                                        {"out", "19:15"},
                                        {"reason", "forgot to tap out"},
                                        {"approver", "M100"}});
  ASSERT_EQ(fix["ok"], true) << fix.dump();
  const json e = call("export", json{{"month", "2027-03"}});
  EXPECT_EQ(e["result"]["csv"],
            "staff,date,in,out,worked,overtime,holiday,break\r\n"
            "S002,2027-03-31,2027-03-31 09:00,2027-03-31 19:15,9.25,2.00,0.00,1.00\r\n");
}

TEST_F(AttendanceEndToEnd, OpenShiftIsStillClosedByRuleAfterKazasudRestarts) {
  start("");
  clock_set("2028-02-28T08:50:00+09:00");
  enroll("S001", "badge");
  clock_set("2028-02-28T09:00:00+09:00");
  daemon_->tap("door-1", "badge");
  ASSERT_EQ(next("clock")["direction"], "in");
  ASSERT_EQ(daemon_->stop(SIGTERM, 10s), 0);
  daemon_->restart();                      // host timers are gone; the plugin re-arms from its database
  clock_set("2028-02-29T05:00:30+09:00");  // the leap day
  // Delivery is at least once: the clock-in may arrive again after the restart.
  json c = next("clock");
  while (c["direction"] == "in") c = next("clock");
  EXPECT_EQ(c["auto_closed"], true);
  EXPECT_EQ(c["time"], "2028-02-28T17:15:00+09:00");
}

TEST_F(AttendanceEndToEnd, NightShiftAcrossMarch31WarnsOnceInEachFiscalYear) {
  start("ordinary_month_limit_h = 1\nordinary_year_limit_h = 2\n");
  clock_set("2027-03-31T19:00:00+09:00");
  enroll("S001", "badge");
  clock_set("2027-03-31T20:00:00+09:00");
  daemon_->tap("door-1", "badge");
  ASSERT_EQ(next("clock")["direction"], "in");
  clock_set("2027-04-01T07:00:00+09:00");
  daemon_->tap("door-1", "badge");
  ASSERT_EQ(next("clock")["direction"], "out");
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) {
    const json w = next("warning");
    got.push_back(w["kind"].get<std::string>() + " " + w["period"].get<std::string>());
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"monthly_limit 2027-03", "monthly_limit 2027-04", "yearly_limit FY2026",
                                           "yearly_limit FY2027"}));
  EXPECT_FALSE(arrives("warning", 1000ms));
}

TEST_F(AttendanceEndToEnd, DisasterRosterShowsHoursOnDutyAndTheTimerRaisesTheAlert) {
  start("duty_limit_h = 2\n");
  clock_set("2027-04-05T07:50:00+09:00");
  enroll("S001", "badge");
  clock_set("2027-04-05T08:00:00+09:00");
  daemon_->tap("door-1", "badge");
  ASSERT_EQ(next("clock")["direction"], "in");
  const json d = call("disaster", json{{"on", true}});
  ASSERT_EQ(d["ok"], true) << d.dump();
  json roster;
  do {
    roster = next("roster");
  } while (roster["disaster"] != true);
  ASSERT_EQ(roster["in"].size(), 1u);
  EXPECT_TRUE(roster["in"][0].contains("hours_on_duty"));
  EXPECT_FALSE(arrives("alert", 1000ms));

  clock_set("2027-04-05T10:00:30+09:00");
  const json a = next("alert");
  EXPECT_EQ(a["staff"], "S001");
  EXPECT_EQ(a["reason"], "continuous_duty");
  EXPECT_EQ(a["limit_h"], 2);
  EXPECT_GE(a["hours_on_duty"].get<double>(), 2.0);
}

TEST_F(AttendanceEndToEnd, HolidayWorkIsReportedApartFromOvertimeWithTheCitysExtraDayOff) {
  start("extra_holidays = [\"2027-11-24\"]\n");
  clock_set("2027-11-23T08:00:00+09:00");  // Labour Thanksgiving Day, a Tuesday
  enroll("S003", "badge");
  clock_set("2027-11-23T08:30:00+09:00");
  daemon_->tap("door-1", "badge");
  ASSERT_EQ(next("clock")["direction"], "in");
  clock_set("2027-11-23T17:15:00+09:00");
  daemon_->tap("door-1", "badge");
  json c = next("clock");
  EXPECT_EQ(c["holiday_h"], "7.75") << c.dump();  // 8.75 h less the 1 h break
  EXPECT_EQ(c["overtime_h"], "0.00");
  clock_set("2027-11-24T08:30:00+09:00");  // the city's extra day off, from the TOML list
  daemon_->tap("door-1", "badge");
  ASSERT_EQ(next("clock")["direction"], "in");
  clock_set("2027-11-24T10:30:00+09:00");
  daemon_->tap("door-1", "badge");
  c = next("clock");
  EXPECT_EQ(c["holiday_h"], "2.00") << c.dump();
  const json e = call("export", json{{"month", "2027-11"}});
  EXPECT_EQ(e["result"]["csv"],
            "staff,date,in,out,worked,overtime,holiday,break\r\n"
            "S003,2027-11-23,2027-11-23 08:30,2027-11-23 17:15,7.75,0.00,7.75,1.00\r\n"
            "S003,2027-11-24,2027-11-24 08:30,2027-11-24 10:30,2.00,0.00,2.00,0.00\r\n");
}

TEST_F(AttendanceEndToEnd, NamedDisasterRollCallIsRetainedAndTheOvertimeReportComparesClaims) {
  start("");
  clock_set("2027-04-05T07:50:00+09:00");
  enroll("S001", "badge");
  ASSERT_EQ(call("enroll", json{{"staff", "S002"}, {"section", "fire-hq"}, {"token", std::string(64, 'b')}})["ok"],
            true);
  clock_set("2027-04-05T08:00:00+09:00");
  daemon_->tap("door-1", "badge");
  ASSERT_EQ(next("clock")["direction"], "in");
  const json d = call("disaster", json{{"on", true}, {"name", "Heavy rain 2027-04"}});
  ASSERT_EQ(d["ok"], true) << d.dump();
  EXPECT_EQ(d["result"]["name"], "Heavy rain 2027-04");
  EXPECT_EQ(d["result"]["since"], "2027-04-05T08:00:00+09:00");
  json r = next("rollcall");
  EXPECT_EQ(r["active"], true);
  EXPECT_EQ(r["reported"], 1);
  EXPECT_EQ(r["not_reported"], 1);
  // The desk that connects later still gets it: it is retained.
  test::Subscriber desk(broker_->uri(), kRoot + "attendance/rollcall");
  auto late = desk.next("/attendance/rollcall", 5s);
  ASSERT_TRUE(late);
  EXPECT_TRUE(late->retained);
  EXPECT_EQ(json::parse(late->payload)["disaster"]["name"], "Heavy rain 2027-04");

  clock_set("2027-04-05T20:00:00+09:00");
  daemon_->tap("door-1", "badge");
  ASSERT_EQ(next("clock")["direction"], "out");
  const json off = call("disaster", json{{"on", false}});
  ASSERT_EQ(off["ok"], true) << off.dump();
  do {
    r = next("rollcall");
  } while (r["active"] != false);
  EXPECT_EQ(r["disaster"]["ended"], "2027-04-05T20:00:00+09:00");

  // 08:00-20:00 on a Monday: 3.25 h of overtime by the taps, 1 h claimed.
  const json claim =
      call("overtime_claim", json{{"staff", "S001"}, {"date", "2027-04-05"}, {"hours", 1}, {"kind", "claimed"}});
  ASSERT_EQ(claim["ok"], true) << claim.dump();
  EXPECT_EQ(call("overtime_claim",
                 json{{"staff", "S001"}, {"date", "2027-04-05"}, {"hours", 1}, {"kind", "x"}})["error"]["code"],
            "invalid_kind");
  const json report = call("overtime_report", json{{"month", "2027-04"}});
  ASSERT_EQ(report["ok"], true) << report.dump();
  ASSERT_EQ(report["result"]["rows"].size(), 1u);
  EXPECT_EQ(report["result"]["rows"][0]["presence_h"], "3.25");
  EXPECT_EQ(report["result"]["rows"][0]["difference_h"], "2.25");
  EXPECT_EQ(report["result"]["rows"][0]["flagged"], true);
}

TEST_F(AttendanceEndToEnd, UnreadableCardsRefusedCommandsAndUnenrolKeepToTheContract) {
  start("");
  clock_set("2027-04-05T08:00:00+09:00");
  ASSERT_EQ(call("enroll", json{{"staff", "S004"}, {"section", "schools"}, {"reader", "door-1"}})["ok"], true);
  daemon_->tap("door-1", "worn");  // the arm waits for a readable tap
  const json refused = next("enroll_refused");
  EXPECT_EQ(refused["staff"], "S004");
  EXPECT_EQ(refused["reason"], "read_failed");
  daemon_->tap("door-1", "badge");
  ASSERT_EQ(next("enrolled")["staff"], "S004");
  daemon_->tap("door-1", "worn");
  const json u = next("unknown_card");
  EXPECT_EQ(u["reason"], "read_failed");
  EXPECT_FALSE(u.contains("token"));

  EXPECT_EQ(call("enroll", json{{"staff", "S005"}, {"section", "x"}, {"section_type", "weird"}})["error"]["code"],
            "invalid_section_type");
  EXPECT_EQ(call("correct", json{{"staff", "S004"},
                                 {"date", "2027-04-05"},
                                 {"in", "08:30"},
                                 {"out", "17:15"},
                                 {"reason", "r"},
                                 {"approver", "S004"}})["error"]["code"],
            "self_approval");
  EXPECT_EQ(call("export", json{{"month", "2027-13"}})["error"]["code"], "invalid_month");
  EXPECT_EQ(call("disaster", json::object())["error"]["code"], "missing_field");

  const json r = call("unenroll", json{{"staff", "S004"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["unenrolled"], true);
  EXPECT_EQ(next("unenrolled")["staff"], "S004");
  EXPECT_EQ(call("unenroll", json{{"staff", "S004"}})["error"]["code"], "not_enrolled");
}

}  // namespace
}  // namespace kazasu
