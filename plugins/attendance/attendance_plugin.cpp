// The tap and timer paths: enroll on an armed reader, else toggle clock in and
// out; every change republishes the retained roster (and, in a disaster, the
// roll-call). Open shifts are mirrored in the shared state so that a shift
// begun at one station can end at another.
#include "attendance_plugin.hpp"

#include <algorithm>
#include <map>

#include "rollcall.hpp"
#include "roster.hpp"

namespace kazasu::attendance {
namespace {

using nlohmann::json;

// One sweep timer covers every open shift: its due time is the earliest
// auto-close or duty alert, recomputed from the database after each change,
// so nothing is lost when kazasud restarts (timers are not persisted).
constexpr uint64_t kSweepTimer = 1;
// A second timer asks the shared state whether open shifts ended elsewhere.
// Kept apart so that taps, which re-arm the sweep, never postpone it.
constexpr uint64_t kSyncTimer = 2;
// During a disaster the roster's hours on duty go stale between taps; the desk
// sees them refreshed at least this often.
constexpr int64_t kDisasterRefreshMs = 15 * kMsPerMinute;
// A shared record of a shift open longer than this is stale (a station that
// never learnt of its end), not a shift to close with a tap elsewhere.
constexpr int64_t kRemoteShiftMaxMs = 7 * kMsPerDay;
// Pending shared writes retried per sync, so one sync stays short.
constexpr int kSyncBatch = 50;

std::string shared_key(const std::string& staff) {
  return "shift/" + staff;
}

json shared_value(const Shift& s) {
  json v{{"uid", s.uid}, {"in_ms", s.in_ms}, {"in_reader", s.in_reader}, {"disaster", s.disaster}, {"open", !s.out_ms}};
  if (s.out_ms) {
    v["out_ms"] = *s.out_ms;
    v["out_reader"] = s.out_reader;
  }
  return v;
}

// The shared record as this plugin wrote it; anything else is not a shift.
std::optional<SharedShift> parse_shared(const kazasu::SharedRecord& r) {
  const json v = json::parse(r.value, nullptr, false);
  if (!v.is_object()) return std::nullopt;
  auto str = [&v](const char* k) { return v.contains(k) && v[k].is_string(); };
  auto num = [&v](const char* k) { return v.contains(k) && v[k].is_number_integer(); };
  auto flag = [&v](const char* k) { return v.contains(k) && v[k].is_boolean(); };
  if (!str("uid") || !num("in_ms") || !str("in_reader") || !flag("disaster") || !flag("open")) return std::nullopt;
  SharedShift s;
  s.uid = v["uid"].get<std::string>();
  s.in_ms = v["in_ms"].get<int64_t>();
  s.in_reader = v["in_reader"].get<std::string>();
  s.disaster = v["disaster"].get<bool>();
  s.open = v["open"].get<bool>();
  s.station = r.station;
  s.version = r.version;
  if (s.uid.empty()) return std::nullopt;
  if (!s.open) {
    if (!num("out_ms") || !str("out_reader")) return std::nullopt;
    s.out_ms = v["out_ms"].get<int64_t>();
    s.out_reader = v["out_reader"].get<std::string>();
    if (s.out_ms < s.in_ms) return std::nullopt;
  }
  return s;
}

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

WorkTotals AttendancePlugin::totals_of(const std::string& staff, int64_t in_ms, int64_t out_ms) const {
  const TermsHistory history = store_.history(staff);
  return shift_totals(
      in_ms, out_ms, [&history](int64_t day) { return history.pattern_at(day); }, offset(), config_.calendar);
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
    // Nothing here changed: the roster stands as published and the timers as set. Under
    // load this was half of the plugin's work (bench/README.md "throughput").
    unknown_tap(tap);
    return;
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
  const int64_t today = station_day_number(now, offset());
  store_.enroll(arm.staff, tap.token, now, today);
  json pattern{{"start", format_hhmm(arm.staff.pattern.start_min)},
               {"end", format_hhmm(arm.staff.pattern.end_min)},
               {"break", arm.staff.pattern.break_min},
               {"days_off", json::array()}};
  for (int d = 0; d < 7; ++d) {
    if (arm.staff.pattern.day_off(d)) pattern["days_off"].push_back(weekday_name(d));
  }
  publish("enrolled", json{{"staff", arm.staff.staff},
                           {"section", arm.staff.section},
                           {"section_type", to_string(arm.staff.section_type)},
                           {"pattern", pattern},
                           {"effective_from", format_day(today)},
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
  // One read of the shared record serves both questions: did the shift open
  // here end at another station, and is a shift begun elsewhere open now?
  const auto remote = read_shared(staff.staff);
  auto open = store_.open_shift(staff.staff);
  if (open && remote && reconcile(*open, *remote)) open.reset();
  std::optional<SharedShift> elsewhere;
  if (!open && remote && remote->open && !store_.has_uid(remote->uid) && remote->in_ms <= now &&
      now - remote->in_ms < kRemoteShiftMaxMs) {
    elsewhere = remote;
  }
  const auto last = store_.last_closed_shift(staff.staff);
  // A second tap right after the first is a fumble, not a clock-out (or a
  // clock-in right after leaving).
  int64_t last_change = std::max(open ? open->in_ms : INT64_MIN, last && last->out_ms ? *last->out_ms : INT64_MIN);
  if (elsewhere) {
    // Older than what this station knows last: a record it has seen the end of.
    if (elsewhere->in_ms <= last_change) {
      elsewhere.reset();
    } else {
      last_change = elsewhere->in_ms;
    }
  }
  if (last_change != INT64_MIN && now - last_change < config_.min_gap_ms) {
    publish("ignored", json{{"staff", staff.staff},
                            {"reason", "double_tap"},
                            {"direction", open || elsewhere ? "in" : "out"},
                            {"seconds_since", (now - last_change) / 1000},
                            {"min_gap_s", config_.min_gap_ms / 1000}}
                           .dump());
    return;
  }
  if (open) {
    clock_out(*open, staff, now, std::string(tap.reader), false);
  } else if (!elsewhere || !remote_clock_out(*elsewhere, staff, now, std::string(tap.reader))) {
    clock_in(tap, staff, now);
  }
}

void AttendancePlugin::clock_in(const kazasu::Tap& tap, const Staff& staff, int64_t now) {
  const auto last = store_.last_closed_shift(staff.staff);
  const auto rest = short_rest(last ? last->out_ms : std::nullopt, now, config_.rest_hours);
  const int64_t id = store_.clock_in(staff.staff, now, tap.reader, store_.disaster(), tap.id);
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
                            {"section_type",
                             to_string(store_.history(staff.staff).at(station_day_number(now, offset())).section_type)},
                            {"kind", "short_rest"},
                            {"period", station_day(now, offset())},
                            {"value", static_cast<double>(*rest) / kMsPerHour},
                            {"limit", config_.rest_hours}}
                           .dump());
  }
  if (auto s = store_.shift_by_id(id)) share(*s);
}

void AttendancePlugin::clock_out(const Shift& shift, const Staff& staff, int64_t out_ms, const std::string& reader,
                                 bool auto_closed) {
  store_.clock_out(shift.id, out_ms, reader, auto_closed);
  const WorkTotals work = totals_of(staff.staff, shift.in_ms, out_ms);
  json fields{{"staff", staff.staff},
              {"section", staff.section},
              {"direction", "out"},
              {"time", station_rfc3339(out_ms, offset())},
              {"since", station_rfc3339(shift.in_ms, offset())},
              {"worked_h", hours_text(work.worked_ms)},
              {"break_h", hours_text(work.break_ms)},
              {"overtime_h", hours_text(work.overtime_ms)},
              {"holiday_h", hours_text(work.holiday_ms)},
              {"auto_closed", auto_closed}};
  if (auto_closed) {
    fields["reason"] = "missing_clock_out";
    fields["message"] =
        "No clock-out was recorded; the shift was closed at the end of regular hours. Please correct it.";
  }
  publish("clock", fields.dump());
  check_limits(staff.staff, shift.in_ms, out_ms);
  if (auto s = store_.shift_by_id(shift.id)) share(*s);
}

bool AttendancePlugin::remote_clock_out(const SharedShift& remote, const Staff& staff, int64_t now,
                                        const std::string& reader) {
  // The write to the shared state decides, like a claim: only when the record
  // is still the one read does this tap end the shift. Another station that
  // closed it meanwhile wins, and this tap is a clock-in.
  Shift s{0,     staff.staff,     remote.in_ms, remote.in_reader, now, reader,
          false, remote.disaster, remote.uid,   remote.station,   ""};
  const auto put = host().put(shared_key(staff.staff), shared_value(s).dump(), remote.version);
  note_shared(put.status);
  if (!put.ok()) {
    log(KAZASU_LOG_NOTICE, "shift begun at another station changed meanwhile; clocking in here");
    return false;
  }
  store_.add_remote_shift(s);
  // Counted at the station where it began (its limits, export and report);
  // the clock-out here tells the staff member what it came to.
  const WorkTotals work = totals_of(staff.staff, s.in_ms, now);
  publish("clock", json{{"staff", staff.staff},
                        {"section", staff.section},
                        {"direction", "out"},
                        {"time", station_rfc3339(now, offset())},
                        {"since", station_rfc3339(s.in_ms, offset())},
                        {"began_at", remote.station},
                        {"worked_h", hours_text(work.worked_ms)},
                        {"break_h", hours_text(work.break_ms)},
                        {"overtime_h", hours_text(work.overtime_ms)},
                        {"holiday_h", hours_text(work.holiday_ms)},
                        {"auto_closed", false}}
                       .dump());
  return true;
}

void AttendancePlugin::on_timer(uint64_t timer_id, int64_t now_unix_ms) {
  const int64_t now = std::max(now_unix_ms, host().now_unix_ms());
  if (timer_id == kSweepTimer) {
    sweep(now);
  } else if (timer_id == kSyncTimer) {
    sync_due_ = 0;
    sync_shared(now);
    // Only the sync timer: re-arming the sweep from here would push its
    // disaster refresh back every time.
    rearm_sync(now);
  }
}

void AttendancePlugin::close_by_rule(const Shift& s) {
  const Staff staff = staff_or_default(s.staff);
  const Pattern pattern = store_.history(s.staff).pattern_at(station_day_number(s.in_ms, offset()));
  clock_out(s, staff, auto_close_out(s.in_ms, pattern, offset()), "", true);
  log(KAZASU_LOG_NOTICE, "open shift closed by rule reason=missing_clock_out");
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
      changed = true;
      // Ended at another station: that clock-out, not the rule.
      if (auto remote = read_shared(s.staff); remote && reconcile(s, *remote)) continue;
      close_by_rule(s);
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
  if (store_.disaster()) publish_rollcall(now);
}

void AttendancePlugin::publish_rollcall(int64_t now) {
  const auto disaster = store_.last_disaster();
  if (!disaster) return;
  const bool active = !disaster->ended_ms;
  const int64_t as_of = active ? now : *disaster->ended_ms;
  // Everyone enrolled, and anyone still in who was unenrolled since: the
  // roll-call is about who has not reported as much as who has.
  std::map<std::string, std::string> people;
  for (const auto& s : store_.all_staff()) people[s.staff] = s.section;
  for (const auto& s : store_.open_shifts()) people.try_emplace(s.staff, "");
  const std::string this_month = station_month(as_of, offset());
  const std::string months[] = {add_months(this_month, -1), this_month};
  auto list = json::array();
  int reported = 0;
  int on_duty = 0;
  int interviews = 0;
  for (const auto& [staff, section] : people) {
    const int64_t from = as_of - (kRestLookbackDays + 1) * kMsPerDay;
    std::vector<Shift> shifts = store_.shifts(staff, from, as_of + 1, true);
    if (auto open = store_.open_shift(staff); open && open->in_ms < from) shifts.push_back(*open);
    const Fatigue f = fatigue_of(shifts, disaster->since_ms, as_of, offset());
    json e{{"staff", staff},
           {"section", section},
           {"reported", f.first_report_ms.has_value()},
           {"on_duty", f.on_duty},
           {"hours_on_duty", tenths_of_hours(f.on_duty_ms)},
           {"hours_last_7_days", tenths_of_hours(f.last_7d_ms)},
           {"days_without_rest", f.days_without_rest}};
    if (f.first_report_ms) e["first_report"] = station_rfc3339(*f.first_report_ms, offset());
    if (f.on_duty) e["since"] = station_rfc3339(f.since_ms, offset());
    // The doctor's interview: a month (this one so far, or the last) whose
    // overtime and holiday work together are over the threshold; an open
    // shift counts up to now.
    const MonthlyWork work = work_by_month(staff, this_month);
    std::map<std::string, int64_t> extra;
    if (auto open = store_.open_shift(staff); open && open->in_ms < as_of) {
      const TermsHistory h = store_.history(staff);
      for (const auto& p : split_shift(
               open->in_ms, as_of, [&h](int64_t d) { return h.pattern_at(d); }, offset(), config_.calendar)) {
        extra[format_day(p.day).substr(0, 7)] += p.overtime_ms + p.holiday_ms;
      }
    }
    auto over = json::array();
    for (const auto& m : months) {
      const auto total = [&m](const std::map<std::string, int64_t>& by) {
        const auto it = by.find(m);
        return it == by.end() ? int64_t{0} : it->second;
      };
      if (total(work.overtime_ms) + total(work.holiday_ms) + total(extra) > config_.doctor_interview_h * kMsPerHour) {
        over.push_back(m);
      }
    }
    e["doctor_interview"] = !over.empty();
    if (!over.empty()) e["doctor_interview_months"] = over;
    reported += f.first_report_ms ? 1 : 0;
    on_duty += f.on_duty ? 1 : 0;
    interviews += over.empty() ? 0 : 1;
    list.push_back(std::move(e));
  }
  json rollcall{{"disaster", {{"name", disaster->name}, {"since", station_rfc3339(disaster->since_ms, offset())}}},
                {"active", active},
                {"as_of", station_rfc3339(as_of, offset())},
                {"staff", list},
                {"count", list.size()},
                {"reported", reported},
                {"not_reported", static_cast<int>(list.size()) - reported},
                {"on_duty", on_duty},
                {"doctor_interview", interviews}};
  if (!active) rollcall["disaster"]["ended"] = station_rfc3339(*disaster->ended_ms, offset());
  host().publish_retained("rollcall", rollcall.dump());
}

void AttendancePlugin::rearm(int64_t now) {
  const bool disaster = store_.disaster();
  const auto open = store_.open_shifts();
  int64_t next = INT64_MAX;
  for (const auto& s : open) {
    if (!disaster) {
      if (s.disaster) continue;
      next = std::min(next, auto_close_due(s.in_ms, config_.auto_close_hour, config_.auto_close_after_h, offset()));
    } else if (!store_.alerted(s.id)) {
      next = std::min(next, s.in_ms + config_.duty_limit_h * kMsPerHour);
    }
  }
  if (disaster && !open.empty()) next = std::min(next, now + kDisasterRefreshMs);
  if (next == INT64_MAX) {
    host().cancel_timer(kSweepTimer);
  } else {
    host().set_timer(kSweepTimer, std::max(next, now));
  }
  rearm_sync(now, !open.empty());
}

void AttendancePlugin::rearm_sync(int64_t now) {
  rearm_sync(now, config_.share_shifts && !store_.open_shifts().empty());
}

void AttendancePlugin::rearm_sync(int64_t now, bool any_open) {
  // The sync timer runs while anything here may be out of step with the
  // shared state; it is not pushed back by every tap, or it would never fire.
  const bool sync =
      config_.share_shifts && config_.shared_sync_ms > 0 && (any_open || !store_.shared_pending(1).empty());
  if (!sync) {
    if (sync_due_ != 0) host().cancel_timer(kSyncTimer);
    sync_due_ = 0;
  } else if (sync_due_ == 0 || sync_due_ < now) {
    sync_due_ = now + config_.shared_sync_ms;
    host().set_timer(kSyncTimer, sync_due_);
  }
}

// ---- shifts across stations --------------------------------------------------

void AttendancePlugin::note_shared(kazasu_shared_status status) {
  const bool down = status == KAZASU_SHARED_UNAVAILABLE || status == KAZASU_SHARED_NOT_ALLOWED;
  if (down == shared_down_) return;
  shared_down_ = down;
  // Once per outage: the station keeps working on its own records meanwhile.
  log(down ? KAZASU_LOG_WARNING : KAZASU_LOG_NOTICE,
      down ? "shared state unavailable: shifts are clocked by this station's records alone"
           : "shared state available again");
}

std::optional<SharedShift> AttendancePlugin::read_shared(const std::string& staff) {
  if (!config_.share_shifts) return std::nullopt;
  const auto r = host().get(shared_key(staff));
  note_shared(r.status == KAZASU_SHARED_NOT_FOUND ? KAZASU_SHARED_OK : r.status);
  if (!r.ok()) return std::nullopt;
  return parse_shared(r.record);
}

void AttendancePlugin::share(const Shift& s) {
  if (!config_.share_shifts || s.uid.empty() || !s.origin.empty()) return;
  // Never over a later shift: a station that learns late of its own shift's
  // end must not hide a shift begun since at another station.
  const auto current = host().get(shared_key(s.staff));
  note_shared(current.status == KAZASU_SHARED_NOT_FOUND ? KAZASU_SHARED_OK : current.status);
  int64_t expected = 0;
  if (current.ok()) {
    if (const auto cur = parse_shared(current.record); cur && cur->uid != s.uid && cur->in_ms > s.in_ms) {
      store_.set_shared_pending(s.id, false);
      return;
    }
    expected = current.record.version;
  } else if (current.status != KAZASU_SHARED_NOT_FOUND) {
    store_.set_shared_pending(s.id, true);  // retried by the sync timer
    return;
  }
  const auto put = host().put(shared_key(s.staff), shared_value(s).dump(), expected);
  note_shared(put.status);
  // A conflict is a station writing at this very moment: the sync timer
  // looks again rather than overwriting it.
  store_.set_shared_pending(s.id, !put.ok());
}

bool AttendancePlugin::reconcile(const Shift& open, const SharedShift& remote) {
  if (open.uid.empty()) return false;  // never shared (clocked before this version)
  if (remote.uid == open.uid) {
    if (remote.open) return false;
    store_.clock_out(open.id, remote.out_ms, remote.out_reader, false, remote.station);
    log(KAZASU_LOG_INFO, "shift ended at another station station=" + remote.station);
    // The clock-out was published there; the limits count here, where the
    // shift began.
    check_limits(open.staff, open.in_ms, remote.out_ms);
    return true;
  }
  if (remote.in_ms > open.in_ms && !open.disaster) {
    // A later shift began elsewhere, so this one ended without this station
    // hearing when: the missing-clock-out rule, to be corrected.
    close_by_rule(open);
    return true;
  }
  return false;
}

void AttendancePlugin::sync_shared(int64_t now) {
  if (!config_.share_shifts) return;
  bool changed = false;
  for (const auto& s : store_.open_shifts()) {
    if (s.uid.empty()) continue;
    const auto remote = read_shared(s.staff);
    if (shared_down_) return;  // nothing to learn until it is back
    if (remote && reconcile(s, *remote)) changed = true;
  }
  for (const auto& s : store_.shared_pending(kSyncBatch)) {
    share(s);
    if (shared_down_) break;
  }
  if (changed) publish_roster(now);
}

// ---- totals and limits ---------------------------------------------------------

MonthlyWork AttendancePlugin::work_by_month(const std::string& staff, const std::string& month) const {
  // Averages look up to 5 months either side of `month`; the fiscal year up to 11.
  // "YYYY-MM" compares in time order as text.
  const auto fy = fiscal_year_months(fiscal_year(month));
  const std::string first = std::min(add_months(month, -5), fy.front());
  const std::string last = std::max(add_months(month, 5), fy.back());
  const int64_t from_day = *parse_day(first + "-01") - 1;  // a night shift may start the evening before
  const int64_t to_day = *parse_day(add_months(last, 1) + "-01");
  const auto rows = apply_corrections(
      store_.shifts(staff, station_midnight_ms(from_day, offset()), station_midnight_ms(to_day, offset())),
      store_.corrections(staff, from_day, to_day), offset());
  const TermsHistory history = store_.history(staff);
  MonthlyWork work;
  for (const auto& r : rows) {
    if (!r.out_ms) continue;
    for (const auto& p : split_shift(
             r.in_ms, *r.out_ms, [&history](int64_t day) { return history.pattern_at(day); }, offset(),
             config_.calendar)) {
      const std::string m = format_day(p.day).substr(0, 7);
      work.overtime_ms[m] += p.overtime_ms;
      work.holiday_ms[m] += p.holiday_ms;
    }
  }
  return work;
}

void AttendancePlugin::check_limits(const std::string& staff_no, int64_t from_ms, int64_t to_ms) {
  const Staff staff = staff_or_default(staff_no);
  const TermsHistory history = store_.history(staff_no);
  std::vector<std::string> months{station_month(from_ms, offset())};
  if (station_month(to_ms, offset()) != months.front()) months.push_back(station_month(to_ms, offset()));
  for (const auto& month : months) {
    // A month counts under the section type in force on its last day: a
    // transfer during the month moves the whole month to the new limits.
    const SectionType type = history.at(*parse_day(add_months(month, 1) + "-01") - 1).section_type;
    const MonthlyWork work = work_by_month(staff_no, month);
    for (const auto& c : evaluate_limits(type, work.overtime_ms, month, config_.limits, work.holiday_ms)) {
      const bool was = store_.warned(staff_no, c.kind, c.period);
      if (c.over == was) continue;
      // Recorded both ways: a total that drops back (a correction) and rises
      // again is a new crossing and warns again.
      store_.set_warned(staff_no, c.kind, c.period, c.over);
      if (!c.over) continue;
      publish("warning", json{{"staff", staff_no},
                              {"section", staff.section},
                              {"section_type", to_string(type)},
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
