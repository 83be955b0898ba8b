// The plugin through its C ABI on the SDK's testing kit (a fake host with a set clock): enroll,
// clock in and out, double taps, the roster, the missing-clock-out timer,
// warnings once per crossing, rest, corrections, disaster alerts and export.
#include <gtest/gtest.h>

#include <kazasu/sqlite.hpp>
#include <kazasu/testing/fake_host.hpp>
#include <map>
#include <memory>
#include <tuple>
#include <utility>

namespace kazasu::attendance {

using db::Statement;
namespace {

using kazasu::testing::FakeHost;
using kazasu::testing::Published;
using nlohmann::json;

// Unix ms of a station-time (UTC+9) "YYYY-MM-DD HH:MM".
int64_t jst(const std::string& s) {
  return *kazasu::station_time_ms(s, kazasu::testing::kJapan);
}

json enroll(FakeHost& h, const std::string& staff, const std::string& card, const std::string& type = "ordinary",
            const std::string& section = "general-affairs") {
  return h.command("enroll", json{{"staff", staff},
                                  {"section", section},
                                  {"section_type", type},
                                  {"pattern", {{"start", "08:30"}, {"end", "17:15"}}},
                                  {"token", FakeHost::token_of(card)}});
}

// Enrols M100 as a staff member with the approver role, for corrections.
json enroll_approver(FakeHost& h, const std::string& staff = "M100") {
  return h.command("enroll", json{{"staff", staff},
                                  {"section", "personnel"},
                                  {"approver", true},
                                  {"token", FakeHost::token_of("approver-card-" + staff)}});
}

// Clocks a shift in and out by two taps at station times.
void shift(FakeHost& h, const std::string& card, const std::string& in, const std::string& out) {
  h.set_now(in);
  ASSERT_EQ(h.tap(card), KAZASU_OK);
  h.set_now(out);
  ASSERT_EQ(h.tap(card), KAZASU_OK);
}

TEST(Enroll, ArmedReaderEnrollsTheNextIdentifiedTap) {
  FakeHost h;
  const json r = h.command("enroll", json{{"staff", "S001"},
                                          {"section", "fire-hq"},
                                          {"section_type", "external"},
                                          {"pattern", {{"start", "09:00"}, {"end", "18:00"}}},
                                          {"reader", "door-1"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["armed"], true);
  EXPECT_EQ(h.tap("x", "door-1", "read_failed"), KAZASU_OK);  // a failed read keeps the arm
  EXPECT_EQ(h.last("enroll_refused")["reason"], "read_failed");
  EXPECT_EQ(h.tap("badge-1", "door-1"), KAZASU_OK);
  const json e = h.last("enrolled");
  EXPECT_EQ(e["staff"], "S001");
  EXPECT_EQ(e["section_type"], "external");
  EXPECT_EQ(e["pattern"]["start"], "09:00");
  EXPECT_EQ(e["token"], FakeHost::token_of("badge-1"));
  EXPECT_TRUE(h.all("clock").empty());  // the enrolling tap is not a clock-in
  h.set_now(h.now() + int64_t{5} * 60'000);
  h.tap("badge-1", "door-1");
  EXPECT_EQ(h.last("clock")["direction"], "in");
}

TEST(Enroll, ArmedReaderStillClocksColleaguesAndWaitsForTheNewCard) {
  FakeHost h;
  enroll(h, "S001", "card-a");
  ASSERT_EQ(h.command("enroll", json{{"staff", "S002"}, {"section", "schools"}, {"reader", "door-1"}})["ok"], true);
  h.tap("card-a", "door-1");
  EXPECT_EQ(h.last("clock")["staff"], "S001");
  EXPECT_TRUE(h.all("enrolled").size() == 1u);  // only the by-token one
  h.tap("card-b", "door-1");
  EXPECT_EQ(h.last("enrolled")["staff"], "S002");
  EXPECT_EQ(h.last("enrolled")["token"], FakeHost::token_of("card-b"));
}

TEST(Enroll, ByTokenRefusesACardOfAnotherStaffMember) {
  FakeHost h;
  ASSERT_EQ(enroll(h, "S001", "card-a")["ok"], true);
  const json r = enroll(h, "S002", "card-a");
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["code"], "already_enrolled");
  EXPECT_EQ(
      h.command("enroll", json{{"staff", "S3"}, {"section", "x"}, {"section_type", "weird"}, {"token", "ab"}})["code"],
      "invalid_section_type");
  EXPECT_EQ(h.command("unenroll", json{{"staff", "S001"}})["ok"], true);
  h.tap("card-a");
  EXPECT_EQ(h.last("unknown_card")["reason"], "not_enrolled");
  EXPECT_FALSE(h.last("unknown_card").contains("token"));  // no identifier of a card not enrolled
}

TEST(UnknownCard, ACardNotEnrolledPublishesNoIdentifier) {
  FakeHost h;
  enroll(h, "S001", "card-a");
  h.tap("resident-card");
  const json u = h.last("unknown_card");
  EXPECT_EQ(u["reason"], "not_enrolled");
  EXPECT_EQ(u["status"], "ok");
  EXPECT_FALSE(u.contains("token")) << u.dump();
  EXPECT_EQ(u.dump().find(FakeHost::token_of("resident-card")), std::string::npos);
}

TEST(Enroll, ReEnrollingARenewedCardKeepsWhatIsNotGiven) {
  FakeHost h;
  ASSERT_EQ(h.command("enroll", json{{"staff", "F001"},
                                     {"section", "fire-hq"},
                                     {"section_type", "external"},
                                     {"pattern", {{"start", "09:00"}, {"end", "18:00"}}},
                                     {"token", FakeHost::token_of("card-old")}})["ok"],
            true);
  // The renewed card, by token, with the section only.
  json r =
      h.command("enroll", json{{"staff", "F001"}, {"section", "fire-hq"}, {"token", FakeHost::token_of("card-new")}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["replaced"], true);
  EXPECT_EQ(h.last("enrolled")["section_type"], "external");
  shift(h, "card-new", "2027-04-05 09:00", "2027-04-05 18:00");  // Monday, inside the kept pattern
  EXPECT_EQ(h.last("clock")["overtime_h"], "0.00");
  // Again on an armed reader, with nothing but the staff number.
  r = h.command("enroll", json{{"staff", "F001"}, {"reader", "door-1"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  h.tap("card-newer", "door-1");
  const json e = h.last("enrolled");
  ASSERT_TRUE(e.contains("pattern")) << e.dump();
  EXPECT_EQ(e["section"], "fire-hq");
  EXPECT_EQ(e["section_type"], "external");
  EXPECT_EQ(e["pattern"]["start"], "09:00");
  EXPECT_EQ(e["pattern"]["end"], "18:00");
  // A new staff number still needs its section.
  EXPECT_EQ(h.command("enroll", json{{"staff", "F002"}, {"token", FakeHost::token_of("card-x")}})["code"],
            "missing_field");
}

TEST(Enroll, TheArmedReaderMustBeAReaderName) {
  FakeHost h;
  const json r = h.command("enroll", json{{"staff", "S001"}, {"section", "x"}, {"reader", "door/1"}});
  EXPECT_EQ(r["code"], "invalid_reader");
  EXPECT_EQ(h.command("enroll", json{{"staff", "S001"}, {"section", "x"}, {"reader", "door-1"}})["ok"], true);
}

TEST(Clock, TapsToggleInAndOutAndTheRosterFollows) {
  FakeHost h;
  enroll(h, "S001", "card-a");
  h.set_now("2027-04-05 08:25");
  h.tap("card-a", "city-hall-1");
  json c = h.last("clock");
  EXPECT_EQ(c["direction"], "in");
  EXPECT_EQ(c["staff"], "S001");
  EXPECT_EQ(c["reader"], "city-hall-1");
  EXPECT_EQ(c["time"], "2027-04-05T08:25:00+09:00");
  const Published& roster = h.published().back();
  EXPECT_EQ(roster.event, "roster");
  EXPECT_TRUE(roster.retained);
  ASSERT_EQ(roster.fields["in"].size(), 1u);
  EXPECT_EQ(roster.fields["in"][0]["section"], "general-affairs");
  EXPECT_EQ(roster.fields["in"][0]["since"], "2027-04-05T08:25:00+09:00");
  EXPECT_EQ(roster.fields["disaster"], false);
  EXPECT_FALSE(roster.fields["in"][0].contains("hours_on_duty"));

  h.set_now("2027-04-05 18:15");
  h.tap("card-a", "city-hall-2");
  c = h.last("clock");
  EXPECT_EQ(c["direction"], "out");
  EXPECT_EQ(c["worked_h"], "8.83");  // 9.83 h present less the pattern's 1 h break
  EXPECT_EQ(c["break_h"], "1.00");
  EXPECT_EQ(c["overtime_h"], "1.08");  // 08:25-08:30 and 17:15-18:15
  EXPECT_EQ(h.last("roster")["in"].size(), 0u);
}

TEST(Clock, DoubleTapWithinTheGapIsIgnoredNotAClockOut) {
  FakeHost h(R"({"min_gap_s": 120})");
  enroll(h, "S001", "card-a");
  h.set_now("2027-04-05 08:30");
  h.tap("card-a");
  h.set_now(jst("2027-04-05 08:30") + 119'000);
  h.tap("card-a");
  const json i = h.last("ignored");
  EXPECT_EQ(i["reason"], "double_tap");
  EXPECT_EQ(i["seconds_since"], 119);
  EXPECT_EQ(h.all("clock").size(), 1u);
  EXPECT_EQ(h.last("roster")["in"].size(), 1u);
  h.set_now("2027-04-05 17:30");
  h.tap("card-a");
  EXPECT_EQ(h.last("clock")["direction"], "out");
  h.set_now(jst("2027-04-05 17:30") + 60'000);  // fumbling at the exit is not a new clock-in
  h.tap("card-a");
  EXPECT_EQ(h.all("ignored").size(), 2u);
  EXPECT_EQ(h.all("clock").size(), 2u);
}

TEST(MissingClockOut, TimerClosesTheShiftByRuleAndFlagsIt) {
  FakeHost h;
  enroll(h, "S001", "card-a");
  h.set_now("2027-04-05 08:30");
  h.tap("card-a");
  ASSERT_EQ(h.timers().count(1), 1u);
  EXPECT_EQ(h.timers().at(1), jst("2027-04-06 05:00"));
  h.set_now("2027-04-06 04:59");
  EXPECT_EQ(h.all("clock").size(), 1u);
  h.set_now("2027-04-06 05:00");
  const json c = h.last("clock");
  EXPECT_EQ(c["direction"], "out");
  EXPECT_EQ(c["auto_closed"], true);
  EXPECT_EQ(c["reason"], "missing_clock_out");
  EXPECT_EQ(c["time"], "2027-04-05T17:15:00+09:00");
  EXPECT_EQ(h.last("roster")["in"].size(), 0u);
  EXPECT_EQ(h.timers().count(1), 0u);
}

TEST(MissingClockOut, TimerIsRearmedFromTheDatabaseAfterARestart) {
  FakeHost h;
  enroll(h, "S001", "card-a");
  h.set_now("2027-04-05 08:30");
  h.tap("card-a");
  h.restart();
  ASSERT_EQ(h.timers().count(1), 1u);
  h.set_now("2027-04-06 06:00");
  EXPECT_EQ(h.last("clock")["auto_closed"], true);
}

TEST(Overtime, MonthlyWarningIsPublishedOncePerCrossing) {
  FakeHost h(R"({"auto_close_after_h": 30})");  // 24-hour shifts, not missing clock-outs
  enroll(h, "S001", "card-a");
  shift(h, "card-a", "2027-04-10 06:00", "2027-04-11 06:00");  // Saturday: 24 h less the break, overtime
  EXPECT_TRUE(h.all("warning").empty());
  shift(h, "card-a", "2027-04-17 06:00", "2027-04-18 06:00");  // 46 h > 45 h
  ASSERT_EQ(h.all("warning").size(), 1u);
  const json w = h.last("warning");
  EXPECT_EQ(w["kind"], "monthly_limit");
  EXPECT_EQ(w["period"], "2027-04");
  EXPECT_EQ(w["limit"], 45);
  EXPECT_DOUBLE_EQ(w["value"].get<double>(), 46.0);
  shift(h, "card-a", "2027-04-24 06:00", "2027-04-24 10:00");
  EXPECT_EQ(h.all("warning").size(), 1u);  // still over: no new warning
}

TEST(Overtime, ACorrectionBelowTheLimitEndsTheCrossingSoTheNextOneWarnsAgain) {
  FakeHost h(R"({"ordinary_month_limit_h": 2})");
  enroll(h, "S001", "card-a");
  enroll_approver(h);
  shift(h, "card-a", "2027-04-05 08:30", "2027-04-05 20:15");  // Monday: 3 h overtime
  ASSERT_EQ(h.all("warning").size(), 1u);
  const json fix = h.command("correct", json{{"staff", "S001"},
                                             {"date", "2027-04-05"},
                                             {"in", "08:30"},
                                             {"out", "18:15"},
                                             {"reason", "left at 18:15"},
                                             {"approver", "M100"}});
  ASSERT_EQ(fix["ok"], true) << fix.dump();
  EXPECT_EQ(h.all("warning").size(), 1u);                      // 1 h now: under the limit, nothing to warn
  shift(h, "card-a", "2027-04-06 08:30", "2027-04-06 19:15");  // 2 h more: 3 h again
  ASSERT_EQ(h.all("warning").size(), 2u);
  EXPECT_EQ(h.last("warning")["period"], "2027-04");
}

TEST(Overtime, NightShiftAcrossTheFiscalYearEndCountsInBothYears) {
  FakeHost h(R"({"ordinary_month_limit_h": 5, "ordinary_year_limit_h": 6})");
  enroll(h, "S001", "card-a");
  // Wednesday 31 March 20:00 to Thursday 1 April 07:00: 4 h in FY2026, 7 h in FY2027.
  shift(h, "card-a", "2027-03-31 20:00", "2027-04-01 07:00");
  const auto w = h.all("warning");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0]["kind"], "monthly_limit");
  EXPECT_EQ(w[0]["period"], "2027-04");
  EXPECT_EQ(w[1]["kind"], "yearly_limit");
  EXPECT_EQ(w[1]["period"], "FY2027");
  EXPECT_DOUBLE_EQ(w[1]["value"].get<double>(), 7.0);
}

TEST(Overtime, ExternalSectionWarnsAtItsOwnLimits) {
  FakeHost h(R"({"external_standard_h": 2, "external_month_limit_h": 4})");
  enroll(h, "F001", "card-f", "external", "fire-hq");
  shift(h, "card-f", "2028-02-29 17:15", "2028-02-29 20:15");  // leap day, 3 h
  ASSERT_EQ(h.all("warning").size(), 1u);
  EXPECT_EQ(h.last("warning")["kind"], "monthly_standard");
  EXPECT_EQ(h.last("warning")["period"], "2028-02");
  EXPECT_EQ(h.last("warning")["section_type"], "external");
  shift(h, "card-f", "2028-03-01 17:15", "2028-03-01 22:15");  // 5 h in March
  bool monthly_limit = false;
  for (const auto& w : h.all("warning")) monthly_limit |= w["kind"] == "monthly_limit" && w["period"] == "2028-03";
  EXPECT_TRUE(monthly_limit);
}

TEST(Rest, ClockInTooSoonAfterClockOutIsFlagged) {
  FakeHost h;
  enroll(h, "S001", "card-a");
  shift(h, "card-a", "2027-04-05 08:30", "2027-04-05 23:00");
  h.set_now("2027-04-06 08:30");
  h.tap("card-a");
  const json c = h.last("clock");
  EXPECT_EQ(c["short_rest"], true);
  EXPECT_EQ(c["rest_h"], "9.50");
  EXPECT_EQ(h.last("warning")["kind"], "short_rest");
  h.set_now("2027-04-06 17:15");
  h.tap("card-a");
  h.set_now("2027-04-07 08:30");
  h.tap("card-a");
  EXPECT_EQ(h.last("clock")["short_rest"], false);
}

TEST(Corrections, AddARecordAndLeaveTheClockedShiftAsItWas) {
  FakeHost h;
  enroll(h, "S001", "card-a");
  enroll_approver(h);
  h.set_now("2027-04-05 08:30");
  h.tap("card-a");
  h.set_now("2027-04-06 05:00");  // closed by rule at 17:15
  EXPECT_EQ(h.command("correct", json{{"staff", "S001"},
                                      {"date", "2027-04-05"},
                                      {"in", "08:30"},
                                      {"out", "20:00"},
                                      {"reason", "forgot"},
                                      {"approver", "S001"}})["code"],
            "self_approval");
  const json r = h.command("correct", json{{"staff", "S001"},
                                           {"date", "2027-04-05"},
                                           {"in", "08:30"},
                                           {"out", "20:00"},
                                           {"reason", "forgot to tap out"},
                                           {"approver", "M100"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["overtime_h"], "2.75");
  EXPECT_EQ(r["result"]["worked_h"], "10.50");
  EXPECT_EQ(r["result"]["break_h"], "1.00");
  EXPECT_EQ(h.last("corrected")["approver"], "M100");
  Statement st(h.db(), "SELECT out_ms, auto_closed FROM shifts");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(0), jst("2027-04-05 17:15"));  // the original is untouched
  EXPECT_EQ(st.int64(1), 1);
  const json e = h.command("export", json{{"month", "2027-04"}});
  EXPECT_EQ(e["result"]["csv"],
            "staff,date,in,out,worked,overtime,holiday,break\r\n"
            "S001,2027-04-05,2027-04-05 08:30,2027-04-05 20:00,10.50,2.75,0.00,1.00\r\n");
  EXPECT_EQ(h.command("correct", json{{"staff", "S001"},
                                      {"date", "2027-02-30"},
                                      {"in", "08:30"},
                                      {"out", "20:00"},
                                      {"reason", "x"},
                                      {"approver", "M100"}})["code"],
            "invalid_date");
}

TEST(Corrections, TheApproverMustBeAnEnrolledStaffMemberWithTheApproverRole) {
  FakeHost h;
  enroll(h, "S001", "card-a");
  shift(h, "card-a", "2027-04-05 08:30", "2027-04-05 17:15");
  const json fix{{"staff", "S001"}, {"date", "2027-04-05"},     {"in", "08:30"},
                 {"out", "19:00"},  {"reason", "late meeting"}, {"approver", "M100"}};
  EXPECT_EQ(h.command("correct", fix)["code"], "not_an_approver");  // nobody enrolled as M100
  enroll(h, "M100", "card-m");                                      // enrolled, but not an approver
  EXPECT_EQ(h.command("correct", fix)["code"], "not_an_approver");
  EXPECT_TRUE(h.all("corrected").empty());
  const json r =
      h.command("enroll", json{{"staff", "M100"}, {"approver", true}, {"token", FakeHost::token_of("card-m")}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(h.last("enrolled")["approver"], true);
  EXPECT_EQ(h.command("correct", fix)["ok"], true);
  // A renewed card keeps the role; approver: false takes it away.
  ASSERT_EQ(h.command("enroll", json{{"staff", "M100"}, {"token", FakeHost::token_of("card-m2")}})["ok"], true);
  EXPECT_EQ(h.command("correct", fix)["ok"], true);
  EXPECT_EQ(h.command("enroll", json{{"staff", "M100"}, {"approver", "yes"}})["code"], "invalid_field");
  ASSERT_EQ(
      h.command("enroll", json{{"staff", "M100"}, {"approver", false}, {"token", FakeHost::token_of("card-m2")}})["ok"],
      true);
  EXPECT_EQ(h.command("correct", fix)["code"], "not_an_approver");
  // An approver still cannot approve their own correction.
  enroll_approver(h, "M200");
  json own = fix;
  own["staff"] = "M200";
  own["approver"] = "M200";
  EXPECT_EQ(h.command("correct", own)["code"], "self_approval");
}

TEST(Disaster, EndingItLeavesShiftsOpenDuringItRunningUntilTheirOwnClockOut) {
  FakeHost h;
  enroll(h, "S001", "card-a");
  enroll(h, "S002", "card-b");
  h.set_now("2027-04-05 08:00");
  h.tap("card-a");  // in before the disaster
  h.set_now("2027-04-05 09:00");
  ASSERT_EQ(h.command("disaster", json{{"on", true}})["ok"], true);
  h.set_now("2027-04-05 20:00");
  h.tap("card-b");  // in during it
  h.set_now("2027-04-06 20:00");
  ASSERT_EQ(h.command("disaster", json{{"on", false}})["ok"], true);
  h.restart();  // the mark is in the database, not in a timer
  h.set_now("2027-04-06 20:01");
  EXPECT_EQ(h.all("clock").size(), 2u) << h.last("clock").dump();  // nothing closed by rule
  EXPECT_EQ(h.last("roster")["in"].size(), 2u);
  h.set_now("2027-04-07 00:00");
  h.tap("card-a");  // 40 hours on duty: the tap is the clock-out
  json c = h.last("clock");
  EXPECT_EQ(c["direction"], "out");
  EXPECT_EQ(c["worked_h"], "39.00");  // one break, in Monday's regular hours
  EXPECT_EQ(c["auto_closed"], false);
  h.set_now("2027-04-08 06:00");  // past any auto-close time for S002 too
  EXPECT_EQ(h.last("clock")["staff"], "S001");
  h.tap("card-b");
  c = h.last("clock");
  EXPECT_EQ(c["staff"], "S002");
  EXPECT_EQ(c["direction"], "out");
  EXPECT_EQ(c["worked_h"], "57.00");
  // A shift begun after the disaster is closed by rule again.
  h.set_now("2027-04-08 08:30");
  h.tap("card-a");
  h.set_now("2027-04-09 05:00");
  EXPECT_EQ(h.last("clock")["auto_closed"], true);
  EXPECT_EQ(h.last("clock")["staff"], "S001");
}

TEST(Disaster, RosterCarriesHoursOnDutyAndTheLimitRaisesOneAlert) {
  FakeHost h(R"({"duty_limit_h": 22})");
  enroll(h, "S001", "card-a");
  enroll(h, "S002", "card-b");
  h.set_now("2027-04-05 08:00");
  h.tap("card-a");
  h.set_now("2027-04-05 20:00");
  h.tap("card-b");
  ASSERT_EQ(h.command("disaster", json{{"on", true}})["ok"], true);
  json roster = h.last("roster");
  EXPECT_EQ(roster["disaster"], true);
  ASSERT_EQ(roster["in"].size(), 2u);
  EXPECT_DOUBLE_EQ(roster["in"][0]["hours_on_duty"].get<double>(), 12.0);
  EXPECT_EQ(roster["in"][0]["over_limit"], false);
  h.set_now("2027-04-05 20:15");  // the desk's view of hours on duty is refreshed by the timer
  EXPECT_DOUBLE_EQ(h.last("roster")["in"][0]["hours_on_duty"].get<double>(), 12.2);
  h.set_now("2027-04-06 05:59");  // past the auto-close hour: disaster duty stays open
  EXPECT_EQ(h.all("clock").size(), 2u);
  EXPECT_TRUE(h.all("alert").empty());
  h.set_now("2027-04-06 06:00");  // S001's 22 h: the timer raises the alert
  ASSERT_EQ(h.all("alert").size(), 1u);
  EXPECT_EQ(h.last("alert")["staff"], "S001");
  EXPECT_EQ(h.last("alert")["limit_h"], 22);
  EXPECT_EQ(h.last("roster")["in"][0]["over_limit"], true);
  EXPECT_EQ(h.all("clock").size(), 2u);
  h.set_now("2027-04-06 06:30");
  h.tap("card-a", "door-2");  // S001 leaves: no second alert
  EXPECT_EQ(h.all("alert").size(), 1u);
  roster = h.last("roster");
  ASSERT_EQ(roster["in"].size(), 1u);
  EXPECT_EQ(roster["in"][0]["staff"], "S002");
  ASSERT_EQ(h.command("disaster", json{{"on", false}})["ok"], true);
  EXPECT_FALSE(h.last("roster")["in"][0].contains("hours_on_duty"));
}

TEST(Export, MonthHasTheShiftsStartingInItInStationTime) {
  FakeHost h;
  enroll(h, "S001", "card-a");
  shift(h, "card-a", "2027-04-30 22:00", "2027-05-01 06:00");  // Friday night into Saturday
  shift(h, "card-a", "2027-05-06 08:30", "2027-05-06 17:15");
  const json r = h.command("export", json{{"month", "2027-04"}});
  ASSERT_EQ(r["ok"], true);
  EXPECT_EQ(r["result"]["rows"], 1);
  EXPECT_EQ(r["result"]["csv"],
            "staff,date,in,out,worked,overtime,holiday,break\r\n"
            "S001,2027-04-30,2027-04-30 22:00,2027-05-01 06:00,7.00,7.00,0.00,1.00\r\n");
  EXPECT_EQ(h.command("export", json{{"month", "2027-5"}})["code"], "invalid_month");
  EXPECT_EQ(h.command("export", json{{"month", "2027-05"}})["result"]["rows"], 1);
}

TEST(HolidayWork, ClockOutOnANationalHolidayIsHolidayWorkAndNeverWarnsAsOvertime) {
  FakeHost h(R"({"ordinary_month_limit_h": 1})", jst("2026-11-20 08:00"));
  enroll(h, "S001", "card-a");
  shift(h, "card-a", "2026-11-23 08:30", "2026-11-23 18:15");  // Labour Thanksgiving Day, a Monday
  const json c = h.last("clock");
  EXPECT_EQ(c["worked_h"], "8.75");
  EXPECT_EQ(c["overtime_h"], "0.00");
  EXPECT_EQ(c["holiday_h"], "8.75");
  EXPECT_TRUE(h.all("warning").empty());
  shift(h, "card-a", "2026-11-24 08:30", "2026-11-24 18:15");  // Tuesday: 1 h overtime, at the limit
  EXPECT_EQ(h.last("clock")["overtime_h"], "1.00");
  EXPECT_EQ(h.last("clock")["holiday_h"], "0.00");
  EXPECT_TRUE(h.all("warning").empty());
  const json e = h.command("export", json{{"month", "2026-11"}});
  EXPECT_EQ(e["result"]["csv"],
            "staff,date,in,out,worked,overtime,holiday,break\r\n"
            "S001,2026-11-23,2026-11-23 08:30,2026-11-23 18:15,8.75,0.00,8.75,1.00\r\n"
            "S001,2026-11-24,2026-11-24 08:30,2026-11-24 18:15,8.75,1.00,0.00,1.00\r\n");
}

TEST(HolidayWork, ByDefaultTheExternalMonthlyAndAverageLimitsCountOvertimeAlone) {
  FakeHost h(R"({"external_month_limit_h": 10, "external_average_limit_h": 5, "external_standard_h": 50})",
             jst("2026-11-20 08:00"));
  enroll(h, "F001", "card-f", "external", "fire-hq");
  shift(h, "card-f", "2026-11-23 08:00", "2026-11-23 18:00");  // 9 h holiday work (10 h less the break)
  shift(h, "card-f", "2026-11-24 17:15", "2026-11-24 18:15");  // 1 h overtime: 10 h together
  EXPECT_TRUE(h.all("warning").empty()) << h.last("warning").dump();
  shift(h, "card-f", "2026-11-25 17:15", "2026-11-26 03:15");  // 9 h more overtime (10 h less the break): 10 h alone
  ASSERT_FALSE(h.all("warning").empty());
  bool monthly = false;
  for (const auto& w : h.all("warning")) {
    if (w["kind"] == "monthly_limit") {
      monthly = true;
      EXPECT_DOUBLE_EQ(w["value"].get<double>(), 10.0);
    }
  }
  EXPECT_TRUE(monthly);
}

TEST(HolidayWork, ExternalMonthlyLimitCountsHolidayWorkButTheStandardDoesNot) {
  FakeHost h(R"({"external_month_limit_h": 10, "external_standard_h": 5, "holiday_work_in_special_limits": true})",
             jst("2026-11-20 08:00"));
  enroll(h, "F001", "card-f", "external", "fire-hq");
  shift(h, "card-f", "2026-11-23 08:00", "2026-11-23 18:00");  // 9 h holiday work (10 h less the break)
  EXPECT_TRUE(h.all("warning").empty());
  shift(h, "card-f", "2026-11-24 17:15", "2026-11-24 18:15");  // 1 h overtime: 10 h together
  ASSERT_EQ(h.all("warning").size(), 1u);
  const json w = h.last("warning");
  EXPECT_EQ(w["kind"], "monthly_limit");
  EXPECT_EQ(w["period"], "2026-11");
  EXPECT_DOUBLE_EQ(w["value"].get<double>(), 10.0);
}

TEST(HolidayWork, ACorrectionOnAHolidayReportsItsHolidayHours) {
  FakeHost h("{}", jst("2026-11-20 08:00"));
  enroll(h, "S001", "card-a");
  enroll_approver(h);
  const json r = h.command("correct", json{{"staff", "S001"},
                                           {"date", "2026-11-03"},
                                           {"in", "22:00"},
                                           {"out", "02:00"},
                                           {"reason", "night duty on Culture Day"},
                                           {"approver", "M100"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["holiday_h"], "2.00");   // 22:00-24:00 on the holiday
  EXPECT_EQ(r["result"]["overtime_h"], "2.00");  // 00:00-02:00 on Wednesday, before the pattern
  EXPECT_EQ(h.last("corrected")["holiday_h"], "2.00");
}

TEST(HolidayWork, ConfiguredDaysOffAndExtraHolidaysTakeEffect) {
  FakeHost h(R"({"days_off": ["06-15"], "extra_holidays": ["2027-04-06"]})");
  enroll(h, "S001", "card-a");
  shift(h, "card-a", "2027-04-06 08:30", "2027-04-06 17:15");  // Tuesday, declared by the city
  EXPECT_EQ(h.last("clock")["holiday_h"], "7.75");
  shift(h, "card-a", "2027-06-15 08:30", "2027-06-15 17:15");  // Tuesday, off every year here
  EXPECT_EQ(h.last("clock")["holiday_h"], "7.75");
  shift(h, "card-a", "2027-12-29 08:30", "2027-12-29 17:15");  // off by default, not in this list
  EXPECT_EQ(h.last("clock")["holiday_h"], "0.00");
  EXPECT_EQ(h.last("clock")["overtime_h"], "0.00");

  FakeHost defaults;
  enroll(defaults, "S001", "card-a");
  shift(defaults, "card-a", "2027-12-29 08:30", "2027-12-29 17:15");
  EXPECT_EQ(defaults.last("clock")["holiday_h"], "7.75");
}

// ---- effective-dated terms, breaks, weekly days off --------------------------

json enroll_pattern(FakeHost& h, const std::string& staff, const std::string& card, const json& pattern,
                    const std::string& type = "ordinary") {
  return h.command("enroll", json{{"staff", staff},
                                  {"section", "general-affairs"},
                                  {"section_type", type},
                                  {"pattern", pattern},
                                  {"token", FakeHost::token_of(card)}});
}

TEST(EffectiveDated, APatternChangedMidMonthLeavesEarlierDaysAndPastExportsAsTheyWere) {
  FakeHost h(R"({"ordinary_month_limit_h": 3})");
  ASSERT_EQ(enroll_pattern(h, "S001", "card-a", {{"start", "08:30"}, {"end", "17:15"}})["ok"], true);
  enroll_approver(h);
  shift(h, "card-a", "2027-04-06 08:30", "2027-04-06 19:15");  // Tuesday: 2 h after 17:15
  const json april = h.command("export", json{{"month", "2027-04"}});
  shift(h, "card-a", "2027-05-07 08:30", "2027-05-07 19:15");  // Friday: 2 h, under 08:30-17:15
  EXPECT_EQ(h.last("clock")["overtime_h"], "2.00");
  // From Monday 10 May the staff member works 10:00-19:15.
  h.set_now("2027-05-10 07:00");
  const json r = enroll_pattern(h, "S001", "card-a", {{"start", "10:00"}, {"end", "19:15"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(h.last("enrolled")["effective_from"], "2027-05-10");
  shift(h, "card-a", "2027-05-10 08:30", "2027-05-10 19:15");  // 1.5 h before 10:00
  EXPECT_EQ(h.last("clock")["overtime_h"], "1.50");
  // May: 2 h under the old pattern and 1.5 h under the new one; with the new
  // pattern for the whole month it would be 1.5 + 1.5 = 3 h, not over 3 h.
  ASSERT_FALSE(h.all("warning").empty());
  EXPECT_EQ(h.last("warning")["kind"], "monthly_limit");
  EXPECT_EQ(h.last("warning")["period"], "2027-05");
  EXPECT_DOUBLE_EQ(h.last("warning")["value"].get<double>(), 3.5);
  EXPECT_EQ(h.command("export", json{{"month", "2027-04"}}), april);  // the past month is unchanged
  EXPECT_EQ(h.command("export", json{{"month", "2027-05"}})["result"]["csv"],
            "staff,date,in,out,worked,overtime,holiday,break\r\n"
            "S001,2027-05-07,2027-05-07 08:30,2027-05-07 19:15,9.75,2.00,0.00,1.00\r\n"
            "S001,2027-05-10,2027-05-10 08:30,2027-05-10 19:15,9.75,1.50,0.00,1.00\r\n");
  // A restart reads the history from the database, not from memory.
  h.restart();
  EXPECT_EQ(h.command("export", json{{"month", "2027-04"}}), april);
}

TEST(EffectiveDated, ASectionTypeChangeLeavesEarlierMonthsUnderTheirOwnLimits) {
  FakeHost h(R"({"ordinary_month_limit_h": 3, "external_standard_h": 3})");
  enroll(h, "S001", "card-a");
  enroll_approver(h);
  shift(h, "card-a", "2027-04-06 08:30", "2027-04-06 19:15");  // 2 h in April, no warning
  EXPECT_TRUE(h.all("warning").empty());
  h.set_now("2027-05-10 07:00");
  ASSERT_EQ(
      h.command("enroll",
                json{{"staff", "S001"}, {"section_type", "external"}, {"token", FakeHost::token_of("card-a")}})["ok"],
      true);
  // A correction of an April day: April still counts as ordinary.
  ASSERT_EQ(h.command("correct", json{{"staff", "S001"},
                                      {"date", "2027-04-06"},
                                      {"in", "08:30"},
                                      {"out", "21:15"},
                                      {"reason", "late council session"},
                                      {"approver", "M100"}})["ok"],
            true);
  json w = h.last("warning");
  EXPECT_EQ(w["kind"], "monthly_limit");
  EXPECT_EQ(w["period"], "2027-04");
  EXPECT_EQ(w["section_type"], "ordinary");
  shift(h, "card-a", "2027-05-10 08:30", "2027-05-10 21:15");  // 4 h in May, external now
  w = h.last("warning");
  EXPECT_EQ(w["kind"], "monthly_standard");
  EXPECT_EQ(w["period"], "2027-05");
  EXPECT_EQ(w["section_type"], "external");
}

TEST(Breaks, ThePatternsBreakIsDeductedFromLongShiftsOnly) {
  FakeHost h;
  ASSERT_EQ(enroll_pattern(h, "S001", "card-a", {{"start", "09:00"}, {"end", "15:00"}})["ok"], true);
  shift(h, "card-a", "2027-04-05 09:00", "2027-04-05 15:00");  // 6 h pattern: no statutory break
  EXPECT_EQ(h.last("clock")["worked_h"], "6.00");
  EXPECT_EQ(h.last("clock")["break_h"], "0.00");
  ASSERT_EQ(enroll_pattern(h, "S001", "card-a", {{"start", "08:30"}, {"end", "16:00"}, {"break", 45}})["ok"], true);
  shift(h, "card-a", "2027-04-06 08:30", "2027-04-06 16:00");
  EXPECT_EQ(h.last("clock")["worked_h"], "6.75");
  EXPECT_EQ(h.last("clock")["break_h"], "0.75");
  EXPECT_EQ(h.last("clock")["overtime_h"], "0.00");
  shift(h, "card-a", "2027-04-07 08:30", "2027-04-07 14:00");  // 5.5 h: no break taken
  EXPECT_EQ(h.last("clock")["worked_h"], "5.50");
  EXPECT_EQ(h.last("clock")["break_h"], "0.00");
}

TEST(DaysOff, AWeekendRotaWorksSaturdayAndHasMondayAndTuesdayOff) {
  FakeHost h;
  const json rota{{"start", "09:00"}, {"end", "18:00"}, {"break", 45}, {"days_off", {"mon", "tue"}}};
  ASSERT_EQ(h.command("enroll",
                      json{{"staff", "L001"}, {"section", "library"}, {"pattern", rota}, {"reader", "door-1"}})["ok"],
            true);
  h.tap("card-l", "door-1");
  const json e = h.last("enrolled");
  EXPECT_EQ(e["pattern"]["break"], 45);
  EXPECT_EQ(e["pattern"]["days_off"], json({"mon", "tue"}));
  h.set_now(h.now() + 120'000);
  shift(h, "card-l", "2027-04-10 09:00", "2027-04-10 18:00");  // Saturday: a working day here
  EXPECT_EQ(h.last("clock")["overtime_h"], "0.00");
  EXPECT_EQ(h.last("clock")["worked_h"], "8.25");
  shift(h, "card-l", "2027-04-12 09:00", "2027-04-12 12:00");  // Monday: a weekly day off
  EXPECT_EQ(h.last("clock")["overtime_h"], "3.00");
  EXPECT_EQ(h.last("clock")["holiday_h"], "0.00");
  // Bad patterns are refused with one code.
  for (const json& bad :
       {json{{"start", "09:00"}, {"end", "18:00"}, {"days_off", {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}}},
        json{{"start", "09:00"}, {"end", "18:00"}, {"days_off", {"sat", "sat"}}},
        json{{"start", "09:00"}, {"end", "18:00"}, {"days_off", {"saturday"}}},
        json{{"start", "09:00"}, {"end", "10:00"}, {"break", 60}},
        json{{"start", "09:00"}, {"end", "18:00"}, {"break", "1h"}},
        json{{"start", "09:00"}, {"end", "18:00"}, {"lunch", 60}}}) {
    EXPECT_EQ(enroll_pattern(h, "L001", "card-l", bad)["code"], "invalid_pattern") << bad.dump();
  }
}

// ---- the disaster roll-call --------------------------------------------------

TEST(RollCall, ANamedDisasterShowsWhoReportedWhoIsOnDutyFatigueAndTheDoctorInterview) {
  FakeHost h(R"({"doctor_interview_h": 10})");
  enroll(h, "S001", "card-a");
  enroll(h, "S002", "card-b");
  enroll(h, "S003", "card-c");
  shift(h, "card-a", "2027-04-04 09:00", "2027-04-04 13:00");  // Sunday: 4 h
  h.set_now("2027-04-05 08:00");
  h.tap("card-a");  // in before the disaster
  h.set_now("2027-04-05 09:00");
  EXPECT_EQ(h.command("disaster", json{{"on", true}, {"name", ""}})["code"], "invalid_field");
  EXPECT_EQ(h.command("disaster", json{{"on", true}, {"name", "Typhoon\nNo. 10"}})["code"], "invalid_name");
  EXPECT_EQ(h.command("disaster", json{{"on", true}, {"name", std::string(201, 'x')}})["code"], "invalid_name");
  const json d = h.command("disaster", json{{"on", true}, {"name", "Typhoon No. 10"}});
  ASSERT_EQ(d["ok"], true) << d.dump();
  EXPECT_EQ(d["result"]["name"], "Typhoon No. 10");
  EXPECT_EQ(d["result"]["since"], "2027-04-05T09:00:00+09:00");
  const Published& first = h.published().back();
  EXPECT_EQ(first.event, "rollcall");
  EXPECT_TRUE(first.retained);
  EXPECT_EQ(first.fields["reported"], 1);
  EXPECT_EQ(first.fields["not_reported"], 2);
  h.set_now("2027-04-05 12:00");
  h.tap("card-b");
  h.set_now("2027-04-05 18:00");
  h.tap("card-b");
  h.set_now("2027-04-06 12:00");  // the timer refreshes the roll-call
  const json r = h.last("rollcall");
  EXPECT_EQ(r["active"], true);
  EXPECT_EQ(r["disaster"]["name"], "Typhoon No. 10");
  EXPECT_EQ(r["as_of"], "2027-04-06T12:00:00+09:00");
  ASSERT_EQ(r["staff"].size(), 3u);  // everyone enrolled, reported or not
  std::map<std::string, json> by;
  for (const auto& e : r["staff"]) by[e["staff"]] = e;
  const json& a = by["S001"];
  EXPECT_EQ(a["reported"], true);
  EXPECT_EQ(a["first_report"], "2027-04-05T09:00:00+09:00");  // in when it was declared
  EXPECT_EQ(a["on_duty"], true);
  EXPECT_EQ(a["since"], "2027-04-05T08:00:00+09:00");
  EXPECT_DOUBLE_EQ(a["hours_on_duty"].get<double>(), 28.0);
  EXPECT_DOUBLE_EQ(a["hours_last_7_days"].get<double>(), 32.0);
  EXPECT_EQ(a["days_without_rest"], 3);  // Sunday, Monday, Tuesday
  // Over 10 h of overtime in April so far, counting the open shift to now.
  EXPECT_EQ(a["doctor_interview"], true);
  EXPECT_EQ(a["doctor_interview_months"], json({"2027-04"}));
  const json& b = by["S002"];
  EXPECT_EQ(b["first_report"], "2027-04-05T12:00:00+09:00");
  EXPECT_EQ(b["on_duty"], false);
  EXPECT_DOUBLE_EQ(b["hours_last_7_days"].get<double>(), 6.0);
  EXPECT_EQ(b["days_without_rest"], 1);  // Monday; Tuesday without presence yet is not counted
  EXPECT_EQ(b["doctor_interview"], false);
  const json& c = by["S003"];
  EXPECT_EQ(c["reported"], false);
  EXPECT_FALSE(c.contains("first_report"));
  EXPECT_EQ(r["reported"], 2);
  EXPECT_EQ(r["on_duty"], 1);
  EXPECT_EQ(r["doctor_interview"], 1);
  // Declared again: a new name, the same start.
  EXPECT_EQ(h.command("disaster", json{{"on", true}, {"name", "Typhoon No. 10 (floods)"}})["result"]["since"],
            "2027-04-05T09:00:00+09:00");
  h.set_now("2027-04-06 13:00");
  const json end = h.command("disaster", json{{"on", false}});
  ASSERT_EQ(end["ok"], true);
  EXPECT_EQ(end["result"]["ended"], "2027-04-06T13:00:00+09:00");
  const json last = h.last("rollcall");
  EXPECT_EQ(last["active"], false);
  EXPECT_EQ(last["disaster"]["name"], "Typhoon No. 10 (floods)");
  EXPECT_EQ(last["disaster"]["ended"], "2027-04-06T13:00:00+09:00");
  const size_t n = h.all("rollcall").size();
  h.set_now("2027-04-06 14:00");
  h.tap("card-c");
  EXPECT_EQ(h.all("rollcall").size(), n);  // no roll-call outside a disaster
}

// ---- overtime ordered or claimed beside presence -----------------------------

TEST(OvertimeReport, ClaimsBesidePresenceFlagDaysWorkedButNotClaimed) {
  FakeHost h;
  enroll(h, "S001", "card-a");
  enroll(h, "S002", "card-b");
  shift(h, "card-a", "2027-04-05 08:30", "2027-04-05 20:15");  // 3 h overtime
  shift(h, "card-b", "2027-04-06 08:30", "2027-04-06 18:15");  // 1 h overtime
  auto claim = [&h](const std::string& staff, const std::string& date, double hours, const std::string& kind) {
    return h.command("overtime_claim", json{{"staff", staff}, {"date", date}, {"hours", hours}, {"kind", kind}});
  };
  json c = claim("S001", "2027-04-05", 1, "claimed");
  ASSERT_EQ(c["ok"], true) << c.dump();
  EXPECT_EQ(c["result"]["hours"], "1.00");
  EXPECT_EQ(c["result"]["replaced"], false);
  ASSERT_EQ(claim("S001", "2027-04-05", 3, "ordered")["ok"], true);
  ASSERT_EQ(claim("S002", "2027-04-06", 1, "claimed")["ok"], true);
  ASSERT_EQ(claim("S002", "2027-04-20", 2, "claimed")["ok"], true);  // claimed, no presence
  c = claim("S001", "2027-04-05", 1, "claimed");                     // sent again: idempotent
  EXPECT_EQ(c["result"]["unchanged"], true);
  EXPECT_EQ(c["result"]["replaced"], false);

  json r = h.command("overtime_report", json{{"month", "2027-04"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["tolerance_h"], "0.50");
  ASSERT_EQ(r["result"]["rows"].size(), 3u);
  json row = r["result"]["rows"][0];
  EXPECT_EQ(row["staff"], "S001");
  EXPECT_EQ(row["date"], "2027-04-05");
  EXPECT_EQ(row["presence_h"], "3.00");
  EXPECT_EQ(row["claimed_h"], "1.00");
  EXPECT_EQ(row["ordered_h"], "3.00");
  EXPECT_EQ(row["difference_h"], "2.00");
  EXPECT_EQ(row["flagged"], true);
  EXPECT_EQ(r["result"]["rows"][1]["flagged"], false);
  EXPECT_EQ(r["result"]["rows"][2]["difference_h"], "-2.00");
  EXPECT_EQ(r["result"]["rows"][2]["flagged"], false);
  EXPECT_EQ(r["result"]["flagged"], 1);

  c = claim("S001", "2027-04-05", 2.75, "claimed");  // the personnel system corrects the claim
  EXPECT_EQ(c["result"]["replaced"], true);
  r = h.command("overtime_report", json{{"month", "2027-04"}});
  EXPECT_EQ(r["result"]["rows"][0]["difference_h"], "0.25");  // within the 0.5 h tolerance
  EXPECT_EQ(r["result"]["flagged"], 0);

  EXPECT_EQ(claim("S001", "2027-04-05", 1, "paid")["code"], "invalid_kind");
  EXPECT_EQ(claim("S001", "2027-04-05", -1, "claimed")["code"], "invalid_hours");
  EXPECT_EQ(claim("S001", "2027-04-31", 1, "claimed")["code"], "invalid_date");
  EXPECT_EQ(claim("S999", "2027-04-05", 1, "claimed")["code"], "not_enrolled");
  EXPECT_EQ(h.command("overtime_claim", json{{"staff", "S001"}, {"date", "2027-04-05"}, {"kind", "claimed"}})["code"],
            "missing_field");
  EXPECT_EQ(
      h.command("overtime_claim",
                json{{"staff", "S001"}, {"date", "2027-04-05"}, {"hours", 1}, {"kind", "claimed"}, {"x", 1}})["code"],
      "unknown_field");
  EXPECT_EQ(h.command("overtime_report", json{{"month", "April"}})["code"], "invalid_month");
}

// ---- shifts across stations ---------------------------------------------------

struct TwoStations {
  std::shared_ptr<kazasu::testing::SharedStore> shared = std::make_shared<kazasu::testing::SharedStore>();
  FakeHost hall{options("city/hall")};
  FakeHost school{options("city/school")};
  kazasu::testing::Options options(const std::string& station) {
    kazasu::testing::Options o;
    o.station = station;
    o.shared = shared;
    o.config_json = R"({"shared_sync_s": 60})";
    return o;
  }
};

TEST(SharedShifts, AShiftBegunAtOneStationEndsAtAnotherAndTheFirstLearnsOfIt) {
  TwoStations city;
  enroll(city.hall, "S001", "card-a");
  enroll(city.school, "S001", "card-a");
  city.hall.set_now("2027-04-05 08:30");
  city.hall.tap("card-a");
  ASSERT_EQ(city.hall.last("clock")["direction"], "in");
  city.school.set_now("2027-04-05 17:45");
  city.school.tap("card-a");  // out at the school
  json c = city.school.last("clock");
  EXPECT_EQ(c["direction"], "out");
  EXPECT_EQ(c["since"], "2027-04-05T08:30:00+09:00");
  EXPECT_EQ(c["began_at"], "city/hall");
  EXPECT_EQ(c["worked_h"], "8.25");
  EXPECT_EQ(c["overtime_h"], "0.50");
  EXPECT_EQ(city.school.last("roster")["in"].size(), 0u);
  // City hall learns of it from its sync timer: closed at the school's time, no second clock message.
  EXPECT_EQ(city.hall.last("roster")["in"].size(), 1u);
  city.hall.set_now("2027-04-05 17:50");
  EXPECT_EQ(city.hall.last("roster")["in"].size(), 0u);
  EXPECT_EQ(city.hall.all("clock").size(), 1u);
  EXPECT_EQ(city.hall.command("export", json{{"month", "2027-04"}})["result"]["csv"],
            "staff,date,in,out,worked,overtime,holiday,break\r\n"
            "S001,2027-04-05,2027-04-05 08:30,2027-04-05 17:45,8.25,0.50,0.00,1.00\r\n");
  EXPECT_EQ(city.school.command("export", json{{"month", "2027-04"}})["result"]["rows"], 0);  // counted where it began
  // Never closed by rule at the hall: it ended at the school.
  city.hall.set_now("2027-04-06 06:00");
  EXPECT_EQ(city.hall.all("clock").size(), 1u);

  // The other way round, and a tap at the first station after a shift ended elsewhere is a clock-in.
  city.school.set_now("2027-04-06 08:30");
  city.school.tap("card-a");
  city.hall.set_now("2027-04-06 17:15");
  city.hall.tap("card-a");
  EXPECT_EQ(city.hall.last("clock")["direction"], "out");
  EXPECT_EQ(city.hall.last("clock")["began_at"], "city/school");
  city.hall.set_now("2027-04-07 08:30");
  city.hall.tap("card-a");
  EXPECT_EQ(city.hall.last("clock")["direction"], "in");

  // Without the shared engine each station clocks by its own records.
  city.hall.set_now("2027-04-07 17:15");
  city.hall.tap("card-a");
  ASSERT_EQ(city.hall.last("clock")["direction"], "out");
  city.hall.set_shared_available(false);
  city.hall.set_now("2027-04-08 08:30");
  city.hall.tap("card-a");
  EXPECT_EQ(city.hall.last("clock")["direction"], "in");
  city.school.set_now("2027-04-08 17:15");
  city.school.tap("card-a");
  EXPECT_EQ(city.school.last("clock")["direction"], "in");  // the school cannot know: a clock-in there
  // Back: the hall's pending write arrives, and never over a later shift.
  city.hall.set_shared_available(true);
  city.hall.set_now("2027-04-08 17:20");
  EXPECT_EQ(city.hall.last("roster")["in"].size(), 1u);  // its own shift stays open until a tap or the rule
}

// The settings check the host runs before create and for --check-config.
std::pair<kazasu_status, std::string> check_settings(const std::string& settings) {
  const uint32_t versions[] = {KAZASU_ABI_VERSION(1, 0)};
  const kazasu_plugin_descriptor* d = kazasu_plugin_entry(versions, 1);
  char key[64] = {0};
  char message[256] = {0};
  const kazasu_status st = d->check_settings(settings.c_str(), key, sizeof key, message, sizeof message);
  return {st, std::string(key) + ": " + message};
}

TEST(Config, MalformedDaysOffAreSettingErrorsAtTheirKey) {
  EXPECT_EQ(check_settings(R"({"days_off": ["12-29", "01-03"], "extra_holidays": ["2027-05-06"]})").first, KAZASU_OK);
  auto [st, what] = check_settings(R"({"days_off": ["12-29", "12/30"]})");
  EXPECT_EQ(st, KAZASU_INVALID);
  EXPECT_EQ(what, R"(days_off: "12/30" is not a day of the year written MM-DD)");
  std::tie(st, what) = check_settings(R"({"days_off": ["02-30"]})");
  EXPECT_EQ(st, KAZASU_INVALID);
  EXPECT_EQ(what.substr(0, 10), "days_off: ");
  std::tie(st, what) = check_settings(R"({"extra_holidays": ["2027-02-29"]})");
  EXPECT_EQ(st, KAZASU_INVALID);
  EXPECT_EQ(what, R"(extra_holidays: "2027-02-29" is not a calendar date written YYYY-MM-DD)");
  std::tie(st, what) = check_settings(R"({"ordinary_month_limit_h": 50, "ordinary_year_limit_h": 40})");
  EXPECT_EQ(st, KAZASU_INVALID);
  EXPECT_EQ(what, "ordinary_year_limit_h: must not be below ordinary_month_limit_h");
  std::tie(st, what) = check_settings(R"({"enroll_reader": "door 1"})");
  EXPECT_EQ(st, KAZASU_INVALID);
  EXPECT_EQ(what.substr(0, 15), "enroll_reader: ");
  EXPECT_THROW(FakeHost(R"({"extra_holidays": ["next friday"]})"), std::runtime_error);
}

TEST(Config, AYearLimitBelowTheMonthLimitFailsCreate) {
  EXPECT_THROW(FakeHost(R"({"ordinary_month_limit_h": 50, "ordinary_year_limit_h": 40})"), std::runtime_error);
  EXPECT_NO_THROW(FakeHost(R"({"ordinary_month_limit_h": 40, "ordinary_year_limit_h": 40})"));
}

}  // namespace
}  // namespace kazasu::attendance
