// The tap and timer paths: enroll on an armed reader, else toggle clock in and
// out; every change republishes the retained roster.
#include "attendance_plugin.hpp"

#include <algorithm>

#include "roster.hpp"

namespace kazasu::attendance {
namespace {

using nlohmann::json;

// One sweep timer covers every open shift: its due time is the earliest
// auto-close or duty alert, recomputed from the database after each change,
// so nothing is lost when kazasud restarts (timers are not persisted).
constexpr uint64_t kSweepTimer = 1;
// During a disaster the roster's hours on duty go stale between taps; the desk
// sees them refreshed at least this often.
constexpr int64_t kDisasterRefreshMs = 15 * kMsPerMinute;

}  // namespace

AttendancePlugin::AttendancePlugin(kazasu::Host host)
    : Plugin(host), config_(parse_config(host.config_json())), store_(host.database()) {
  store_.migrate();
  rearm(host.now_unix_ms());
  log(KAZASU_LOG_INFO, "attendance plugin ready schema=" + std::to_string(store_.schema_version()) +
                           " open_shifts=" + std::to_string(store_.open_shifts().size()));
}

std::optional<kazasu::SettingError> AttendancePlugin::check_settings(const std::string& config_json) {
  try {
    parse_config(config_json);
    return std::nullopt;
  } catch (const ConfigError& e) {
    return kazasu::SettingError{e.key(), e.message()};
  }
}

WorkTotals AttendancePlugin::totals_of(const Staff& staff, int64_t in_ms, int64_t out_ms) const {
  return shift_totals(in_ms, out_ms, staff.pattern, offset(), config_.calendar);
}

Staff AttendancePlugin::staff_or_default(const std::string& staff) const {
  if (auto s = store_.find_staff(staff)) return *s;
  return Staff{staff, "", SectionType::ordinary, Pattern{}};
}

void AttendancePlugin::on_tap(const kazasu::Tap& tap) {
  // The host's clock, not the tap's detection time: tests move that clock,
  // and one clock keeps taps and timers in order.
  const int64_t now = host().now_unix_ms();
  const auto arm = store_.active_arm(tap.reader, now);
  const auto staff = tap.identified() ? store_.find_by_token(tap.token) : std::nullopt;
  // An armed wall reader still clocks everyone else: a colleague's card enrolled
  // to another staff number is their clock tap, and the arm waits on.
  if (arm && !(staff && staff->staff != arm->staff.staff)) {
    enroll_tap(tap, *arm, now);
  } else if (staff) {  // only an identified card has a staff member
    clock_tap(tap, *staff, now);
  } else {
    unknown_tap(tap);
  }
  raise_duty_alerts(now);
  publish_roster(now);
  rearm(now);
}

void AttendancePlugin::enroll_tap(const kazasu::Tap& tap, const Arm& arm, int64_t now) {
  if (!tap.identified()) {
    // The arm stays: the staff member can tap again.
    publish("enroll_refused",
            json{{"staff", arm.staff.staff}, {"reason", tap.status}, {"message", tap.message}}.dump());
    return;
  }
  store_.disarm(tap.reader);
  const bool replaced = store_.find_staff(arm.staff.staff).has_value();
  store_.enroll(arm.staff, tap.token, now);
  publish("enrolled",
          json{{"staff", arm.staff.staff},
               {"section", arm.staff.section},
               {"section_type", to_string(arm.staff.section_type)},
               {"pattern",
                {{"start", format_hhmm(arm.staff.pattern.start_min)}, {"end", format_hhmm(arm.staff.pattern.end_min)}}},
               {"approver", arm.staff.approver},
               {"replaced", replaced},
               {"card_kind", tap.card_kind},
               {"token", tap.token}}
              .dump());
  log(KAZASU_LOG_INFO, "staff enrolled reader=" + std::string(tap.reader));
}

void AttendancePlugin::unknown_tap(const kazasu::Tap& tap) {
  // No identifier of a card that is not enrolled: any card tapped on a wall
  // reader, a resident's included, would otherwise be traceable on the bus.
  // A new card is enrolled on an armed reader.
  const json fields{{"status", tap.status},
                    {"reason", tap.identified() ? std::string("not_enrolled") : std::string(tap.status)},
                    {"message", tap.message},
                    {"card_kind", tap.card_kind}};
  publish("unknown_card", fields.dump());
}

void AttendancePlugin::clock_tap(const kazasu::Tap& tap, const Staff& staff, int64_t now) {
  const auto open = store_.open_shift(staff.staff);
  const auto last = store_.last_closed_shift(staff.staff);
  // A second tap right after the first is a fumble, not a clock-out (or a
  // clock-in right after leaving).
  const int64_t last_change =
      std::max(open ? open->in_ms : INT64_MIN, last && last->out_ms ? *last->out_ms : INT64_MIN);
  if (last_change != INT64_MIN && now - last_change < config_.min_gap_ms) {
    publish("ignored", json{{"staff", staff.staff},
                            {"reason", "double_tap"},
                            {"direction", open ? "in" : "out"},
                            {"seconds_since", (now - last_change) / 1000},
                            {"min_gap_s", config_.min_gap_ms / 1000}}
                           .dump());
    return;
  }
  if (open) {
    clock_out(*open, staff, now, std::string(tap.reader), false);
  } else {
    clock_in(tap, staff, now);
  }
}

void AttendancePlugin::clock_in(const kazasu::Tap& tap, const Staff& staff, int64_t now) {
  const auto last = store_.last_closed_shift(staff.staff);
  const auto rest = short_rest(last ? last->out_ms : std::nullopt, now, config_.rest_hours);
  store_.clock_in(staff.staff, now, tap.reader, store_.disaster());
  // The host adds the tap's `reader` to every outcome; a plugin may not set it.
  json fields{{"staff", staff.staff},
              {"section", staff.section},
              {"direction", "in"},
              {"time", station_rfc3339(now, offset())},
              {"short_rest", rest.has_value()}};
  if (rest) fields["rest_h"] = hours_text(*rest);
  publish("clock", fields.dump());
  if (rest) {
    publish("warning", json{{"staff", staff.staff},
                            {"section", staff.section},
                            {"section_type", to_string(staff.section_type)},
                            {"kind", "short_rest"},
                            {"period", station_day(now, offset())},
                            {"value", static_cast<double>(*rest) / kMsPerHour},
                            {"limit", config_.rest_hours}}
                           .dump());
  }
}

void AttendancePlugin::clock_out(const Shift& shift, const Staff& staff, int64_t out_ms, const std::string& reader,
                                 bool auto_closed) {
  store_.clock_out(shift.id, out_ms, reader, auto_closed);
  const WorkTotals work = totals_of(staff, shift.in_ms, out_ms);
  json fields{{"staff", staff.staff},
              {"section", staff.section},
              {"direction", "out"},
              {"time", station_rfc3339(out_ms, offset())},
              {"since", station_rfc3339(shift.in_ms, offset())},
              {"worked_h", hours_text(out_ms - shift.in_ms)},
              {"overtime_h", hours_text(work.overtime_ms)},
              {"holiday_h", hours_text(work.holiday_ms)},
              {"auto_closed", auto_closed}};
  if (auto_closed) {
    fields["reason"] = "missing_clock_out";
    fields["message"] =
        "No clock-out was recorded; the shift was closed at the end of regular hours. Please correct it.";
  }
  publish("clock", fields.dump());
  check_limits(staff, shift.in_ms, out_ms);
}

void AttendancePlugin::on_timer(uint64_t timer_id, int64_t now_unix_ms) {
  if (timer_id != kSweepTimer) return;
  sweep(std::max(now_unix_ms, host().now_unix_ms()));
}

void AttendancePlugin::sweep(int64_t now) {
  const bool disaster = store_.disaster();
  bool changed = false;
  // During a declared disaster long duty is expected: open shifts stay open
  // (and count toward the duty alert) instead of being closed by rule. A
  // shift open during a disaster runs until its own clock-out, also after the
  // disaster ends: closing it by rule would cut a long duty to regular hours.
  if (!disaster) {
    for (const auto& s : store_.open_shifts()) {
      if (s.disaster) continue;
      if (auto_close_due(s.in_ms, config_.auto_close_hour, config_.auto_close_after_h, offset()) > now) continue;
      const Staff staff = staff_or_default(s.staff);
      clock_out(s, staff, auto_close_out(s.in_ms, staff.pattern, offset()), "", true);
      log(KAZASU_LOG_NOTICE, "open shift closed by rule reason=missing_clock_out");
      changed = true;
    }
  }
  raise_duty_alerts(now);
  if (changed || disaster) publish_roster(now);
  rearm(now);
}

void AttendancePlugin::raise_duty_alerts(int64_t now) {
  if (!store_.disaster()) return;
  for (const auto& s : store_.open_shifts()) {
    if (!past_duty_limit(s.in_ms, now, config_.duty_limit_h) || store_.alerted(s.id)) continue;
    store_.set_alerted(s.id);
    const Staff staff = staff_or_default(s.staff);
    host().publish("alert", json{{"staff", s.staff},
                                 {"section", staff.section},
                                 {"reason", "continuous_duty"},
                                 {"since", station_rfc3339(s.in_ms, offset())},
                                 {"hours_on_duty", tenths_of_hours(now - s.in_ms)},
                                 {"limit_h", config_.duty_limit_h}}
                                .dump());
  }
}

void AttendancePlugin::publish_roster(int64_t now) {
  std::vector<OnDuty> in;
  for (auto& s : store_.open_shifts()) {
    const auto staff = store_.find_staff(s.staff);
    in.push_back(OnDuty{s, staff ? staff->section : std::string()});
  }
  host().publish_retained("roster", roster_json(in, store_.disaster(), now, config_.duty_limit_h, offset()).dump());
}

void AttendancePlugin::rearm(int64_t now) {
  const bool disaster = store_.disaster();
  int64_t next = INT64_MAX;
  for (const auto& s : store_.open_shifts()) {
    if (!disaster) {
      if (s.disaster) continue;
      next = std::min(next, auto_close_due(s.in_ms, config_.auto_close_hour, config_.auto_close_after_h, offset()));
    } else if (!store_.alerted(s.id)) {
      next = std::min(next, s.in_ms + config_.duty_limit_h * kMsPerHour);
    }
  }
  if (disaster && !store_.open_shifts().empty()) next = std::min(next, now + kDisasterRefreshMs);
  if (next == INT64_MAX) {
    host().cancel_timer(kSweepTimer);
  } else {
    host().set_timer(kSweepTimer, std::max(next, now));
  }
}

MonthlyWork AttendancePlugin::work_by_month(const Staff& staff, const std::string& month) const {
  // Averages look up to 5 months either side of `month`; the fiscal year up to 11.
  // "YYYY-MM" compares in time order as text.
  const auto fy = fiscal_year_months(fiscal_year(month));
  const std::string first = std::min(add_months(month, -5), fy.front());
  const std::string last = std::max(add_months(month, 5), fy.back());
  const int64_t from_day = *parse_day(first + "-01") - 1;  // a night shift may start the evening before
  const int64_t to_day = *parse_day(add_months(last, 1) + "-01");
  const auto rows = apply_corrections(
      store_.shifts(staff.staff, station_midnight_ms(from_day, offset()), station_midnight_ms(to_day, offset())),
      store_.corrections(staff.staff, from_day, to_day), offset());
  MonthlyWork work;
  for (const auto& r : rows) {
    if (!r.out_ms) continue;
    for (const auto& p : split_shift(r.in_ms, *r.out_ms, staff.pattern, offset(), config_.calendar)) {
      const std::string m = format_day(p.day).substr(0, 7);
      work.overtime_ms[m] += p.overtime_ms;
      work.holiday_ms[m] += p.holiday_ms;
    }
  }
  return work;
}

void AttendancePlugin::check_limits(const Staff& staff, int64_t from_ms, int64_t to_ms) {
  std::vector<std::string> months{station_month(from_ms, offset())};
  if (station_month(to_ms, offset()) != months.front()) months.push_back(station_month(to_ms, offset()));
  for (const auto& month : months) {
    const MonthlyWork work = work_by_month(staff, month);
    for (const auto& c :
         evaluate_limits(staff.section_type, work.overtime_ms, month, config_.limits, work.holiday_ms)) {
      const bool was = store_.warned(staff.staff, c.kind, c.period);
      if (c.over == was) continue;
      // Recorded both ways: a total that drops back (a correction) and rises
      // again is a new crossing and warns again.
      store_.set_warned(staff.staff, c.kind, c.period, c.over);
      if (!c.over) continue;
      publish("warning", json{{"staff", staff.staff},
                              {"section", staff.section},
                              {"section_type", to_string(staff.section_type)},
                              {"kind", c.kind},
                              {"period", c.period},
                              {"value", c.value},
                              {"limit", c.limit}}
                             .dump());
    }
  }
}

}  // namespace kazasu::attendance

KAZASU_PLUGIN(kazasu::attendance::AttendancePlugin, "attendance", "1.0.0",
              "Staff attendance: clock in and out by tap, live roster, overtime limits, corrections, export.")
