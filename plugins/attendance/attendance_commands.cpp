// Commands from the personnel PC: enroll (arm a reader, or link a known
// token), unenroll, disaster on/off, correct, export. Every refusal carries a
// machine-readable code and a sentence for staff.
#include <initializer_list>
#include <kazasu/command_fields.hpp>

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
  if (request.contains("pattern")) {
    const json& p = request["pattern"];
    const auto pattern =
        p.is_object() && p.contains("start") && p.contains("end") && p["start"].is_string() && p["end"].is_string()
            ? make_pattern(p["start"].get<std::string>(), p["end"].get<std::string>())
            : std::nullopt;
    if (!pattern) {
      throw CommandError("invalid_pattern",
                         "\"pattern\" must be {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}, end after start");
    }
    staff.pattern = *pattern;
  }
  const int64_t now = host().now_unix_ms();
  if (auto token = kazasu::fields::string(request, "token", false, false)) {
    if (!valid_token(*token))
      throw CommandError("invalid_token", "\"token\" must be the 64 hex characters of an outcome");
    if (auto owner = store_.find_by_token(*token); owner && owner->staff != staff.staff) {
      throw CommandError("already_enrolled", "this card is enrolled to staff " + owner->staff + "; unenroll first");
    }
    const bool replaced = store_.find_staff(staff.staff).has_value();
    store_.enroll(staff, *token, now);
    publish("enrolled", json{{"staff", staff.staff},
                             {"section", staff.section},
                             {"section_type", to_string(staff.section_type)},
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
  kazasu::fields::only(request, {"on"});
  if (!request.contains("on") || !request["on"].is_boolean()) {
    throw CommandError("missing_field", "the command needs \"on\": true or false");
  }
  const bool on = request["on"].get<bool>();
  store_.set_disaster(on);
  // Whoever is in when a disaster is declared is on disaster duty until they
  // tap out; ending the disaster does not close their shifts by rule.
  if (on) store_.mark_open_shifts_disaster();
  const int64_t now = host().now_unix_ms();
  log(KAZASU_LOG_NOTICE, std::string("disaster mode ") + (on ? "declared" : "ended"));
  raise_duty_alerts(now);
  publish_roster(now);
  return json{{"disaster", on}, {"in", store_.open_shifts().size()}}.dump();
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
  const WorkTotals work = totals_of(*staff, c.in_ms, c.out_ms);
  const json fields{{"staff", staff_no},
                    {"date", format_day(*day)},
                    {"in", station_rfc3339(c.in_ms, offset())},
                    {"out", station_rfc3339(c.out_ms, offset())},
                    {"worked_h", hours_text(c.out_ms - c.in_ms)},
                    {"overtime_h", hours_text(work.overtime_ms)},
                    {"holiday_h", hours_text(work.holiday_ms)},
                    {"reason", reason},
                    {"approver", approver},
                    {"correction", c.id}};
  publish("corrected", fields.dump());
  check_limits(*staff, c.in_ms, c.out_ms);
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
  const std::string csv = export_csv(
      rows, [this](const std::string& s) { return staff_or_default(s).pattern; }, offset(), config_.calendar);
  return json{{"month", month}, {"rows", rows.size()}, {"csv", csv}}.dump();
}

}  // namespace kazasu::attendance
