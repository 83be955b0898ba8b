// The staff attendance plugin: staff tap a My Number Card or a staff badge on
// a wall reader to clock in and out. It keeps the live roster (retained, for
// disasters), overtime against the limits of domain.md §4, rest between
// shifts, the missing-clock-out rule, corrections and the monthly export.
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
  void unknown_tap(const kazasu::Tap& tap);

  /** Publishes a warning for each limit newly crossed in the months the interval touches. */
  void check_limits(const Staff& staff, int64_t from_ms, int64_t to_ms);
  /** Overtime and holiday work per month around `month`, corrections applied. */
  [[nodiscard]] MonthlyWork work_by_month(const Staff& staff, const std::string& month) const;
  [[nodiscard]] WorkTotals totals_of(const Staff& staff, int64_t in_ms, int64_t out_ms) const;
  /** Closes overdue open shifts and raises duty alerts; then re-arms the timer. */
  void sweep(int64_t now);
  void raise_duty_alerts(int64_t now);
  void publish_roster(int64_t now);
  void rearm(int64_t now);
  [[nodiscard]] Staff staff_or_default(const std::string& staff) const;
  [[nodiscard]] int32_t offset() const { return host().utc_offset_seconds(); }

  std::string enroll_command(const nlohmann::json& request);
  std::string unenroll_command(const nlohmann::json& request);
  std::string disaster_command(const nlohmann::json& request);
  std::string correct_command(const nlohmann::json& request);
  std::string export_command(const nlohmann::json& request);

  AttendanceConfig config_;
  Store store_;
};

}  // namespace kazasu::attendance
