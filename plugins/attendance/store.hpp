// The attendance plugin's own SQLite database: staff, armed readers, shifts,
// corrections, and what has already been warned or alerted (so each crossing
// is published once). The host's transaction wraps every call.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "records.hpp"

namespace kazasu::attendance {

/** A reader waiting for the card of a staff member being enrolled. */
struct Arm {
  std::string reader;
  Staff staff;
  int64_t expires_ms = 0;
};

class Store {
 public:
  explicit Store(sqlite3* db) : db_(db) {}

  /** Creates or upgrades the schema; refuses a database newer than this plugin. */
  void migrate();
  [[nodiscard]] int schema_version() const;

  /** Links `token` to the staff member (replacing an older card). */
  void enroll(const Staff& staff, std::string_view token, int64_t now_ms);
  /** Staff number the token is enrolled to, if any. */
  [[nodiscard]] std::optional<Staff> find_by_token(std::string_view token) const;
  [[nodiscard]] std::optional<Staff> find_staff(std::string_view staff) const;
  bool unenroll(std::string_view staff);

  void arm(const Arm& arm);
  [[nodiscard]] std::optional<Arm> active_arm(std::string_view reader, int64_t now_ms) const;
  void disarm(std::string_view reader);

  [[nodiscard]] std::optional<Shift> open_shift(std::string_view staff) const;
  [[nodiscard]] std::optional<Shift> last_closed_shift(std::string_view staff) const;
  /** `disaster`: the shift begins during a declared disaster (see mark_open_shifts_disaster). */
  int64_t clock_in(std::string_view staff, int64_t at_ms, std::string_view reader, bool disaster);
  void clock_out(int64_t shift_id, int64_t at_ms, std::string_view reader, bool auto_closed);
  [[nodiscard]] std::vector<Shift> open_shifts() const;
  /** Marks every open shift as open during a disaster, so it runs until its own clock-out. */
  void mark_open_shifts_disaster();
  /** Shifts of one staff member (or all, when empty) clocked in within [from_ms, to_ms). */
  [[nodiscard]] std::vector<Shift> shifts(std::string_view staff, int64_t from_ms, int64_t to_ms) const;

  int64_t add_correction(const Correction& c);
  /** Corrections of one staff member (or all, when empty) for days in [from_day, to_day). */
  [[nodiscard]] std::vector<Correction> corrections(std::string_view staff, int64_t from_day, int64_t to_day) const;

  [[nodiscard]] bool warned(std::string_view staff, std::string_view kind, std::string_view period) const;
  void set_warned(std::string_view staff, std::string_view kind, std::string_view period, bool on);

  [[nodiscard]] bool alerted(int64_t shift_id) const;
  void set_alerted(int64_t shift_id);

  [[nodiscard]] bool disaster() const;
  void set_disaster(bool on);

 private:
  sqlite3* db_;
};

}  // namespace kazasu::attendance
