// Commands from the personnel PC: enroll (arm a reader, or link a known
// token), unenroll, disaster on/off, correct, export, overtime_claim and
// overtime_report. Every refusal carries a
// machine-readable code and a sentence for staff.
#include <cmath>
#include <initializer_list>
#include <kazasu/command_fields.hpp>
#include <map>
#include <utility>

#include "attendance_plugin.hpp"
#include "csv_export.hpp"

namespace kazasu::attendance {
namespace {

using kazasu::CommandError;
using nlohmann::json;

// Staff numbers are printable ASCII without separators, so they are safe in
// CSV cells, log lines and topics alike.
std::string staff_field(const json& request, const char* name) {
  std::string s = *kazasu::fields::string(request, name, true, false);
  if (s.size() > 32) throw CommandError("invalid_staff", std::string("\"") + name + "\" is longer than 32 characters");
  for (const char c : s) {
    if (c < 0x21 || c > 0x7E || c == ',' || c == '"') {
      throw CommandError("invalid_staff", std::string("\"") + name + "\" must be printable ASCII without , or \"");
    }
  }
  return s;
}

bool valid_token(const std::string& t) {
  return t.size() == 64 && t.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// {"start": "HH:MM", "end": "HH:MM", "break"?: minutes, "days_off"?: ["sat", "sun"]}.
Pattern pattern_field(const json& p) {
  const auto bad = [](const std::string& why) -> CommandError { return CommandError("invalid_pattern", why); };
  if (!p.is_object()) throw bad("\"pattern\" must be an object with \"start\" and \"end\"");
  for (const auto& [key, value] : p.items()) {
    if (key != "start" && key != "end" && key != "break" && key != "days_off") {
      throw bad("\"pattern\" takes start, end, break and days_off only");
    }
  }
  if (!p.contains("start") || !p.contains("end") || !p["start"].is_string() || !p["end"].is_string()) {
    throw bad("\"pattern\" needs \"start\" and \"end\" written HH:MM");
  }
  std::optional<int> break_min;
  if (p.contains("break")) {
    if (!p["break"].is_number_integer() || p["break"].get<int64_t>() < 0 || p["break"].get<int64_t>() > 24 * 60) {
      throw bad("\"break\" must be whole minutes");
    }
    break_min = p["break"].get<int>();
  }
  std::optional<unsigned> days_off;
  if (p.contains("days_off")) {
    const json& list = p["days_off"];
    if (!list.is_array() || list.size() > 7) throw bad("\"days_off\" must be a list of weekdays (sun to sat)");
    unsigned bits = 0;
    for (const auto& d : list) {
      const auto wd = d.is_string() && d.get_ref<const std::string&>().size() == 3 ? parse_weekday(d.get<std::string>())
                                                                                   : std::nullopt;
      if (!wd || ((bits >> *wd) & 1U) != 0) {
        throw bad("\"days_off\" must list distinct weekdays written sun, mon, tue, wed, thu, fri or sat");
      }
      bits |= 1U << *wd;
    }
    days_off = bits;
  }
  const auto pattern = make_pattern(p["start"].get<std::string>(), p["end"].get<std::string>(), break_min, days_off);
  if (!pattern) {
    throw bad("\"pattern\" needs end after start on the same day, a break shorter than that, and a working day");
  }
  return *pattern;
}

// A disaster's name as the desk gives it: shown on screens, so printable and short.
std::string disaster_name(const json& request) {
  std::string name = *kazasu::fields::string(request, "name", true, false);
  if (name.empty() || name.size() > 200) throw CommandError("invalid_name", "\"name\" must be 1 to 200 bytes");
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      throw CommandError("invalid_name", "\"name\" must not contain control characters");
    }
  }
  return name;
}

}  // namespace

std::string AttendancePlugin::on_command(const kazasu::Command& command) {
  const json request = json::parse(command.payload_json, nullptr, false);
  if (request.is_discarded()) throw CommandError("malformed_json", "the command is not valid JSON");
  if (!request.is_object()) throw CommandError("not_an_object", "the command must be a JSON object");
  std::string result;
  if (command.name == "enroll") {
    result = enroll_command(request);
  } else if (command.name == "unenroll") {
    result = unenroll_command(request);
  } else if (command.name == "disaster") {
    result = disaster_command(request);
  } else if (command.name == "correct") {
    result = correct_command(request);
  } else if (command.name == "export") {
    result = export_command(request);
  } else if (command.name == "overtime_claim") {
    result = overtime_claim_command(request);
  } else if (command.name == "overtime_report") {
    result = overtime_report_command(request);
  } else {
    return Plugin::on_command(command);
  }
  rearm(host().now_unix_ms());
  return result;
}

std::string AttendancePlugin::enroll_command(const json& request) {
  kazasu::fields::only(request, {"staff", "section", "section_type", "pattern", "approver", "reader", "token"});
  // Enrolling a staff number again (a renewed card) keeps whatever the
  // command does not give: section, section type, pattern and approver role.
  // A new staff number starts from the defaults and needs its section.
  const std::string staff_no = staff_field(request, "staff");
  const auto existing = store_.find_staff(staff_no);
  Staff staff = existing.value_or(Staff{staff_no, "", SectionType::ordinary, Pattern{}, false});
  if (auto section = kazasu::fields::string(request, "section", !existing, false)) staff.section = *section;
  if (auto name = kazasu::fields::string(request, "section_type", false, false)) {
    const auto type = parse_section_type(*name);
    if (!type) throw CommandError("invalid_section_type", "\"section_type\" must be \"ordinary\" or \"external\"");
    staff.section_type = *type;
  }
  if (request.contains("approver")) {
    if (!request["approver"].is_boolean()) throw CommandError("invalid_field", "\"approver\" must be true or false");
    staff.approver = request["approver"].get<bool>();
  }
  if (request.contains("pattern")) staff.pattern = pattern_field(request["pattern"]);
  const int64_t now = host().now_unix_ms();
  if (auto token = kazasu::fields::string(request, "token", false, false)) {
    if (!valid_token(*token))
      throw CommandError("invalid_token", "\"token\" must be the 64 hex characters of an outcome");
    if (auto owner = store_.find_by_token(*token); owner && owner->staff != staff.staff) {
      throw CommandError("already_enrolled", "this card is enrolled to staff " + owner->staff + "; unenroll first");
    }
    const bool replaced = store_.find_staff(staff.staff).has_value();
    const int64_t today = station_day_number(now, offset());
    store_.enroll(staff, *token, now, today);
    publish("enrolled", json{{"staff", staff.staff},
                             {"section", staff.section},
                             {"section_type", to_string(staff.section_type)},
                             {"effective_from", format_day(today)},
                             {"approver", staff.approver},
                             {"replaced", replaced},
                             {"token", *token}}
                            .dump());
    return json{{"enrolled", true}, {"staff", staff.staff}, {"replaced", replaced}}.dump();
  }
  const std::string reader = kazasu::fields::string(request, "reader", false, false).value_or(config_.enroll_reader);
  if (reader.empty()) {
    throw CommandError("no_reader", "name a \"reader\" or a \"token\", or set enroll_reader in the config");
  }
  // The reader comes back in the reply and must name a reader kazasud could have.
  if (!valid_reader_name(reader)) throw CommandError("invalid_reader", "\"reader\" is not a reader name");
  const int64_t expires = now + config_.enroll_timeout_ms;
  store_.arm(Arm{reader, staff, expires});
  return json{
      {"armed", true}, {"staff", staff.staff}, {"reader", reader}, {"expires_at", station_rfc3339(expires, offset())}}
      .dump();
}

std::string AttendancePlugin::unenroll_command(const json& request) {
  kazasu::fields::only(request, {"staff"});
  const std::string staff = staff_field(request, "staff");
  if (!store_.unenroll(staff)) throw CommandError("not_enrolled", "no card is enrolled for this staff number");
  publish("unenrolled", json{{"staff", staff}}.dump());
  return json{{"unenrolled", true}, {"staff", staff}}.dump();
}

std::string AttendancePlugin::disaster_command(const json& request) {
  kazasu::fields::only(request, {"on", "name"});
  if (!request.contains("on") || !request["on"].is_boolean()) {
    throw CommandError("missing_field", "the command needs \"on\": true or false");
  }
  const bool on = request["on"].get<bool>();
  const std::optional<std::string> name =
      request.contains("name") ? std::optional<std::string>(disaster_name(request)) : std::nullopt;
  const int64_t now = host().now_unix_ms();
  const auto current = store_.current_disaster();
  if (on && current) {
    // Declared again: the start stays (the roll-call counts from it); a new name is taken.
    if (name) store_.rename_disaster(*name);
  } else if (on) {
    // A desk that sends only "on" still gets a named disaster to show.
    store_.declare_disaster(name.value_or("disaster of " + station_day(now, offset())), now);
  } else if (current) {
    store_.end_disaster(now);
  }
  // Whoever is in when a disaster is declared is on disaster duty until they
  // tap out; ending the disaster does not close their shifts by rule.
  if (on) store_.mark_open_shifts_disaster();
  if (on != current.has_value()) log(KAZASU_LOG_NOTICE, std::string("disaster mode ") + (on ? "declared" : "ended"));
  raise_duty_alerts(now);
  publish_roster(now);
  // The last roll-call stays retained with active false: who reported, and
  // how long they were on duty, is what the after-action review needs.
  if (!on && current) publish_rollcall(now);
  json reply{{"disaster", on}, {"in", store_.open_shifts().size()}};
  if (const auto d = store_.last_disaster(); d && (on || current)) {
    reply["name"] = d->name;
    reply["since"] = station_rfc3339(d->since_ms, offset());
    if (d->ended_ms) reply["ended"] = station_rfc3339(*d->ended_ms, offset());
  }
  return reply.dump();
}

std::string AttendancePlugin::correct_command(const json& request) {
  kazasu::fields::only(request, {"staff", "date", "in", "out", "reason", "approver"});
  const std::string staff_no = staff_field(request, "staff");
  const std::string approver = staff_field(request, "approver");
  const std::string reason = *kazasu::fields::string(request, "reason", true, false);
  const auto day = parse_day(*kazasu::fields::string(request, "date", true, false));
  if (!day) throw CommandError("invalid_date", "\"date\" must be a calendar date written YYYY-MM-DD");
  const auto in_min = parse_hhmm(*kazasu::fields::string(request, "in", true, false));
  const auto out_min = parse_hhmm(*kazasu::fields::string(request, "out", true, false));
  if (!in_min || !out_min) throw CommandError("invalid_time", "\"in\" and \"out\" must be times written HH:MM");
  // Nobody approves their own correction (the approval is the point of the record).
  if (approver == staff_no) throw CommandError("self_approval", "the approver must be another staff member");
  const auto staff = store_.find_staff(staff_no);
  if (!staff) throw CommandError("not_enrolled", "no staff member is enrolled with this number");
  // Only an enrolled staff member given the approver role at enrolment approves.
  if (const auto a = store_.find_staff(approver); !a || !a->approver) {
    throw CommandError("not_an_approver", "the approver must be an enrolled staff member with the approver role");
  }
  const int64_t midnight = station_midnight_ms(*day, offset());
  Correction c{0,
               staff_no,
               *day,
               midnight + *in_min * kMsPerMinute,
               midnight + *out_min * kMsPerMinute,
               reason,
               approver,
               host().now_unix_ms()};
  if (*out_min <= *in_min) c.out_ms += kMsPerDay;  // a night shift ends the next day
  c.id = store_.add_correction(c);
  const WorkTotals work = totals_of(staff_no, c.in_ms, c.out_ms);
  const json fields{{"staff", staff_no},
                    {"date", format_day(*day)},
                    {"in", station_rfc3339(c.in_ms, offset())},
                    {"out", station_rfc3339(c.out_ms, offset())},
                    {"worked_h", hours_text(work.worked_ms)},
                    {"break_h", hours_text(work.break_ms)},
                    {"overtime_h", hours_text(work.overtime_ms)},
                    {"holiday_h", hours_text(work.holiday_ms)},
                    {"reason", reason},
                    {"approver", approver},
                    {"correction", c.id}};
  publish("corrected", fields.dump());
  check_limits(staff_no, c.in_ms, c.out_ms);
  return fields.dump();
}

std::string AttendancePlugin::export_command(const json& request) {
  kazasu::fields::only(request, {"month"});
  const std::string month = *kazasu::fields::string(request, "month", true, false);
  if (!valid_month(month)) throw CommandError("invalid_month", "\"month\" must be written YYYY-MM");
  const int64_t from_day = *parse_day(month + "-01");
  const int64_t to_day = *parse_day(add_months(month, 1) + "-01");
  const auto rows = apply_corrections(
      store_.shifts("", station_midnight_ms(from_day, offset()), station_midnight_ms(to_day, offset())),
      store_.corrections("", from_day, to_day), offset());
  // Each day under the pattern in force that day, so a later change leaves
  // the export of a past month as it was.
  std::map<std::string, TermsHistory> histories;
  const std::string csv = export_csv(
      rows,
      [this, &histories](const std::string& s, int64_t day) {
        auto it = histories.find(s);
        if (it == histories.end()) it = histories.emplace(s, store_.history(s)).first;
        return it->second.pattern_at(day);
      },
      offset(), config_.calendar);
  return json{{"month", month}, {"rows", rows.size()}, {"csv", csv}}.dump();
}

std::string AttendancePlugin::overtime_claim_command(const json& request) {
  kazasu::fields::only(request, {"staff", "date", "hours", "kind"});
  const std::string staff = staff_field(request, "staff");
  const auto day = parse_day(*kazasu::fields::string(request, "date", true, false));
  if (!day) throw CommandError("invalid_date", "\"date\" must be a calendar date written YYYY-MM-DD");
  const std::string kind = *kazasu::fields::string(request, "kind", true, false);
  if (kind != "ordered" && kind != "claimed") {
    throw CommandError("invalid_kind", "\"kind\" must be \"ordered\" or \"claimed\"");
  }
  if (!request.contains("hours")) throw CommandError("missing_field", "the command needs \"hours\"");
  const json& h = request["hours"];
  if (!h.is_number() || !(h.get<double>() >= 0 && h.get<double>() <= 24)) {
    throw CommandError("invalid_hours", "\"hours\" must be a number of hours from 0 to 24");
  }
  // A staff number this station has never enrolled is a typing error more
  // often than not; one unenrolled since keeps its history and its claims.
  if (!store_.find_staff(staff) && store_.history(staff).empty()) {
    throw CommandError("not_enrolled", "no staff member was ever enrolled with this number");
  }
  const int64_t minutes = std::llround(h.get<double>() * 60);
  const auto before = store_.put_claim(OvertimeClaim{staff, *day, kind, minutes}, host().now_unix_ms());
  return json{{"staff", staff},
              {"date", format_day(*day)},
              {"kind", kind},
              {"hours", hours_text(minutes * kMsPerMinute)},
              {"replaced", before.has_value() && *before != minutes},
              {"unchanged", before.has_value() && *before == minutes}}
      .dump();
}

std::string AttendancePlugin::overtime_report_command(const json& request) {
  kazasu::fields::only(request, {"month"});
  const std::string month = *kazasu::fields::string(request, "month", true, false);
  if (!valid_month(month)) throw CommandError("invalid_month", "\"month\" must be written YYYY-MM");
  const int64_t from_day = *parse_day(month + "-01");
  const int64_t to_day = *parse_day(add_months(month, 1) + "-01");
  // Presence per staff member and station day, from the taps with
  // corrections applied; a night shift begun the evening before the month
  // counts its part in the month.
  const auto rows = apply_corrections(
      store_.shifts("", station_midnight_ms(from_day - 1, offset()), station_midnight_ms(to_day, offset())),
      store_.corrections("", from_day - 1, to_day), offset());
  struct Day {
    int64_t overtime_ms = 0;
    int64_t holiday_ms = 0;
    int64_t claimed_ms = 0;
    int64_t ordered_ms = 0;
  };
  std::map<std::pair<std::string, int64_t>, Day> days;
  std::map<std::string, TermsHistory> histories;
  for (const auto& r : rows) {
    if (!r.out_ms) continue;
    auto it = histories.find(r.staff);
    if (it == histories.end()) it = histories.emplace(r.staff, store_.history(r.staff)).first;
    const TermsHistory& h = it->second;
    for (const auto& p : split_shift(
             r.in_ms, *r.out_ms, [&h](int64_t d) { return h.pattern_at(d); }, offset(), config_.calendar)) {
      if (p.day < from_day || p.day >= to_day || p.overtime_ms + p.holiday_ms == 0) continue;
      Day& d = days[{r.staff, p.day}];
      d.overtime_ms += p.overtime_ms;
      d.holiday_ms += p.holiday_ms;
    }
  }
  for (const auto& c : store_.claims(from_day, to_day)) {
    Day& d = days[{c.staff, c.day}];
    (c.kind == "ordered" ? d.ordered_ms : d.claimed_ms) = c.minutes * kMsPerMinute;
  }
  auto list = json::array();
  int flagged = 0;
  for (const auto& [key, d] : days) {
    const int64_t presence = d.overtime_ms + d.holiday_ms;
    const int64_t difference = presence - d.claimed_ms;
    const bool flag = difference > config_.unpaid_tolerance_ms;
    flagged += flag ? 1 : 0;
    list.push_back(json{{"staff", key.first},
                        {"date", format_day(key.second)},
                        {"presence_h", hours_text(presence)},
                        {"overtime_h", hours_text(d.overtime_ms)},
                        {"holiday_h", hours_text(d.holiday_ms)},
                        {"claimed_h", hours_text(d.claimed_ms)},
                        {"ordered_h", hours_text(d.ordered_ms)},
                        {"difference_h", signed_hours_text(difference)},
                        {"flagged", flag}});
  }
  return json{
      {"month", month}, {"tolerance_h", hours_text(config_.unpaid_tolerance_ms)}, {"rows", list}, {"flagged", flagged}}
      .dump();
}

}  // namespace kazasu::attendance
