// The staff attendance plugin: staff tap a My Number Card or a staff badge on
// a wall reader to clock in and out. It keeps the live roster (retained, for
// disasters) and the disaster roll-call, overtime against the limits of
// domain.md §4 with effective-dated patterns, rest between shifts, the
// missing-clock-out rule, corrections, the monthly export, the unpaid
// overtime check, and shifts that end at another station (shared state).
// See README.md beside this file.
#pragma once

#include <kazasu/plugin.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "attendance_config.hpp"
#include "store.hpp"

namespace kazasu::attendance {

struct MonthlyWork {
  std::map<std::string, int64_t> overtime_ms;
  std::map<std::string, int64_t> holiday_ms;
};

/** A shift as the shared state keeps it under "shift/{staff}" (README "Shifts across stations"). */
struct SharedShift {
  std::string uid;
  int64_t in_ms = 0;
  std::string in_reader;
  bool disaster = false;
  bool open = true;
  int64_t out_ms = 0;
  std::string out_reader;
  std::string station;  // the writer: "site/station"
  int64_t version = 0;
};

class AttendancePlugin : public kazasu::Plugin {
 public:
  static constexpr const auto& kSettings = kAttendanceSettings;

  explicit AttendancePlugin(kazasu::Host host);
  /** What the host's type and range checks cannot see: bad days off, year limits below month limits. */
  static std::optional<kazasu::SettingError> check_settings(const std::string& config_json);

  void on_tap(const kazasu::Tap& tap) override;
  std::string on_command(const kazasu::Command& command) override;
  void on_timer(uint64_t timer_id, int64_t now_unix_ms) override;

 private:
  void enroll_tap(const kazasu::Tap& tap, const Arm& arm, int64_t now);
  void clock_tap(const kazasu::Tap& tap, const Staff& staff, int64_t now);
  void clock_in(const kazasu::Tap& tap, const Staff& staff, int64_t now);
  void clock_out(const Shift& shift, const Staff& staff, int64_t out_ms, const std::string& reader, bool auto_closed);
  /** Closes a shift begun at another station with this tap; false when the shared state would not take it. */
  bool remote_clock_out(const SharedShift& remote, const Staff& staff, int64_t now, const std::string& reader);
  void unknown_tap(const kazasu::Tap& tap);

  /** Publishes a warning for each limit newly crossed in the months the interval touches. */
  void check_limits(const std::string& staff, int64_t from_ms, int64_t to_ms);
  /** Overtime and holiday work per month around `month`, corrections applied. */
  [[nodiscard]] MonthlyWork work_by_month(const std::string& staff, const std::string& month) const;
  [[nodiscard]] WorkTotals totals_of(const std::string& staff, int64_t in_ms, int64_t out_ms) const;
  /** Closes overdue open shifts and raises duty alerts; then re-arms the timer. */
  void sweep(int64_t now);
  void raise_duty_alerts(int64_t now);
  void publish_roster(int64_t now);
  /** The retained disaster roll-call: while a disaster is declared, and once more when it ends. */
  void publish_rollcall(int64_t now);
  void rearm(int64_t now);
  void rearm_sync(int64_t now);
  /** As above, told whether any shift is open (rearm has just read them). */
  void rearm_sync(int64_t now, bool any_open);

  // Shifts across stations (shared state, ABI 1.3).
  /** The shared record of the staff member's latest shift; nullopt when none or the engine is away. */
  [[nodiscard]] std::optional<SharedShift> read_shared(const std::string& staff);
  /** Writes the shift's state to the shared record, unless a newer shift is there; marks it pending when away. */
  void share(const Shift& shift);
  /**
   * Brings a shift open here up to date with the shared record: closed at
   * another station (closed here at that time), or superseded by a later
   * shift (closed by rule). Returns whether it closed the shift.
   */
  bool reconcile(const Shift& open, const SharedShift& remote);
  /** Reconciles every open shift and retries pending writes (the sync timer). */
  void sync_shared(int64_t now);
  /** Closes a shift by the missing-clock-out rule. */
  void close_by_rule(const Shift& shift);
  void note_shared(kazasu_shared_status status);
  [[nodiscard]] Staff staff_or_default(const std::string& staff) const;
  [[nodiscard]] int32_t offset() const { return host().utc_offset_seconds(); }

  std::string enroll_command(const nlohmann::json& request);
  std::string unenroll_command(const nlohmann::json& request);
  std::string disaster_command(const nlohmann::json& request);
  std::string correct_command(const nlohmann::json& request);
  std::string export_command(const nlohmann::json& request);
  std::string overtime_claim_command(const nlohmann::json& request);
  std::string overtime_report_command(const nlohmann::json& request);

  AttendanceConfig config_;
  Store store_;
  int64_t sync_due_ = 0;      // when the sync timer is armed for; 0: not armed
  bool shared_down_ = false;  // logged once per outage, not per tap
};

}  // namespace kazasu::attendance
