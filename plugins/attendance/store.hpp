// The attendance plugin's own SQLite database: staff, armed readers, shifts,
// corrections, and what has already been warned or alerted (so each crossing
// is published once). The host's transaction wraps every call.
#pragma once

#include <sqlite3.h>
#include <kazasu/sqlite.hpp>

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

/** A declared disaster: a name and when it was declared (and ended). */
struct Disaster {
  int64_t id = 0;
  std::string name;
  int64_t since_ms = 0;
  std::optional<int64_t> ended_ms;
};

/** Overtime the personnel system ordered or a staff member claimed for a day. */
struct OvertimeClaim {
  std::string staff;
  int64_t day = 0;
  std::string kind;  // ordered | claimed
  int64_t minutes = 0;
};

class Store {
 public:
  explicit Store(sqlite3* db) : db_(db) {}

  /** Creates or upgrades the schema; refuses a database newer than this plugin. */
  void migrate();
  [[nodiscard]] int schema_version() const;

  /**
   * Links `token` to the staff member (replacing an older card) and records
   * their section type and pattern as in force from station day `day` (when
   * they differ from those in force then). Returns whether they did.
   */
  bool enroll(const Staff& staff, std::string_view token, int64_t now_ms, int64_t day);
  /** Section type and pattern by day; kept after unenrolment, for past months. */
  [[nodiscard]] TermsHistory history(std::string_view staff) const;
  /** Every enrolled staff member, by staff number. */
  [[nodiscard]] std::vector<Staff> all_staff() const;
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
  int64_t clock_in(std::string_view staff, int64_t at_ms, std::string_view reader, bool disaster,
                   std::string_view uid = "");
  void clock_out(int64_t shift_id, int64_t at_ms, std::string_view reader, bool auto_closed,
                 std::string_view out_station = "");
  /** Records a shift begun at station `origin` and ended here (closed at once). */
  int64_t add_remote_shift(const Shift& shift);
  [[nodiscard]] bool has_uid(std::string_view uid) const;
  [[nodiscard]] std::optional<Shift> shift_by_id(int64_t id) const;
  /** Shifts whose state has not reached the shared engine yet (oldest first, at most `limit`). */
  [[nodiscard]] std::vector<Shift> shared_pending(int limit) const;
  void set_shared_pending(int64_t shift_id, bool pending);
  [[nodiscard]] std::vector<Shift> open_shifts() const;
  /** Marks every open shift as open during a disaster, so it runs until its own clock-out. */
  void mark_open_shifts_disaster();
  /**
   * Shifts of one staff member (or all, when empty) clocked in within
   * [from_ms, to_ms). Those begun at another station are left out unless
   * `with_remote`: they count at the station where they began.
   */
  [[nodiscard]] std::vector<Shift> shifts(std::string_view staff, int64_t from_ms, int64_t to_ms,
                                          bool with_remote = false) const;

  int64_t add_correction(const Correction& c);
  /** Corrections of one staff member (or all, when empty) for days in [from_day, to_day). */
  [[nodiscard]] std::vector<Correction> corrections(std::string_view staff, int64_t from_day, int64_t to_day) const;

  [[nodiscard]] bool warned(std::string_view staff, std::string_view kind, std::string_view period) const;
  void set_warned(std::string_view staff, std::string_view kind, std::string_view period, bool on);

  [[nodiscard]] bool alerted(int64_t shift_id) const;
  void set_alerted(int64_t shift_id);

  [[nodiscard]] bool disaster() const { return current_disaster().has_value(); }
  [[nodiscard]] std::optional<Disaster> current_disaster() const;
  /** The latest disaster, ended or not. */
  [[nodiscard]] std::optional<Disaster> last_disaster() const;
  void declare_disaster(std::string_view name, int64_t since_ms);
  void rename_disaster(std::string_view name);
  void end_disaster(int64_t at_ms);

  /** Upserts by staff, day and kind; returns the minutes it replaced, if any. */
  std::optional<int64_t> put_claim(const OvertimeClaim& claim, int64_t now_ms);
  /** Claims for days in [from_day, to_day). */
  [[nodiscard]] std::vector<OvertimeClaim> claims(int64_t from_day, int64_t to_day) const;

 private:
  sqlite3* db_;
  // Its SQL runs on every tap: prepared once per connection, not per call.
  mutable db::StatementCache sql_{db_};
};

}  // namespace kazasu::attendance
