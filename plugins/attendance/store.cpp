#include "store.hpp"

#include <array>

#include <kazasu/migrations.hpp>
#include <kazasu/sqlite.hpp>

namespace kazasu::attendance {

using db::Statement;
namespace {

// Migrations, in order; schema version N is the state after the first N steps.
// Append only: stations upgrade from any shipped version.
constexpr std::array<const char*, 3> kMigrations = {
    // v1. Shifts and corrections are separate tables so a correction never
    // rewrites what the reader recorded (an audit trail for approvals).
    "CREATE TABLE staff ("
    "  staff TEXT PRIMARY KEY,"
    "  token TEXT UNIQUE,"
    "  section TEXT NOT NULL,"
    "  section_type TEXT NOT NULL,"
    "  pattern_start INTEGER NOT NULL,"
    "  pattern_end INTEGER NOT NULL,"
    "  enrolled_ms INTEGER NOT NULL);"
    "CREATE TABLE arms ("
    "  reader TEXT PRIMARY KEY,"
    "  staff TEXT NOT NULL,"
    "  section TEXT NOT NULL,"
    "  section_type TEXT NOT NULL,"
    "  pattern_start INTEGER NOT NULL,"
    "  pattern_end INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL);"
    "CREATE TABLE shifts ("
    "  id INTEGER PRIMARY KEY,"
    "  staff TEXT NOT NULL,"
    "  in_ms INTEGER NOT NULL,"
    "  in_reader TEXT NOT NULL,"
    "  out_ms INTEGER,"
    "  out_reader TEXT NOT NULL DEFAULT '',"
    "  auto_closed INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX shifts_by_staff ON shifts (staff, in_ms);"
    "CREATE INDEX shifts_open ON shifts (out_ms) WHERE out_ms IS NULL;"
    "CREATE TABLE corrections ("
    "  id INTEGER PRIMARY KEY,"
    "  staff TEXT NOT NULL,"
    "  day INTEGER NOT NULL,"
    "  in_ms INTEGER NOT NULL,"
    "  out_ms INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  approver TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE TABLE warned (staff TEXT NOT NULL, kind TEXT NOT NULL, period TEXT NOT NULL,"
    "  PRIMARY KEY (staff, kind, period));"
    "CREATE TABLE alerted (shift_id INTEGER PRIMARY KEY);"
    "CREATE TABLE state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);",
    // v2. The approver role, and shifts open during a declared disaster (never
    // closed by rule, also after the disaster ends).
    "ALTER TABLE staff ADD COLUMN approver INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE arms ADD COLUMN approver INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE shifts ADD COLUMN disaster INTEGER NOT NULL DEFAULT 0;"
    "UPDATE shifts SET disaster = 1 WHERE out_ms IS NULL AND"
    "  EXISTS (SELECT 1 FROM state WHERE key = 'disaster' AND value != 0);",
    // v3. Patterns get a break and weekly days off; section type and pattern
    // become effective-dated (staff_terms, from a station day; what was
    // enrolled so far holds for all the past, as it did); named disasters for
    // the roll-call; overtime ordered or claimed; shifts shared across
    // stations. Existing patterns get the statutory break for their span.
    "ALTER TABLE staff ADD COLUMN break_min INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE staff ADD COLUMN days_off INTEGER NOT NULL DEFAULT 65;"
    "UPDATE staff SET break_min = CASE WHEN pattern_end - pattern_start > 480 THEN 60"
    "  WHEN pattern_end - pattern_start > 360 THEN 45 ELSE 0 END;"
    "ALTER TABLE arms ADD COLUMN break_min INTEGER NOT NULL DEFAULT 60;"
    "ALTER TABLE arms ADD COLUMN days_off INTEGER NOT NULL DEFAULT 65;"
    "CREATE TABLE staff_terms ("
    "  staff TEXT NOT NULL,"
    "  from_day INTEGER NOT NULL,"
    "  section_type TEXT NOT NULL,"
    "  pattern_start INTEGER NOT NULL,"
    "  pattern_end INTEGER NOT NULL,"
    "  break_min INTEGER NOT NULL,"
    "  days_off INTEGER NOT NULL,"
    "  PRIMARY KEY (staff, from_day));"
    "INSERT INTO staff_terms SELECT staff, -1000000000, section_type, pattern_start, pattern_end, break_min,"
    "  days_off FROM staff;"
    "CREATE TABLE disasters ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  since_ms INTEGER NOT NULL,"
    "  ended_ms INTEGER);"
    "INSERT INTO disasters (name, since_ms) SELECT 'disaster',"
    "  COALESCE((SELECT MIN(in_ms) FROM shifts WHERE disaster = 1 AND out_ms IS NULL), 0)"
    "  FROM state WHERE key = 'disaster' AND value != 0;"
    "CREATE TABLE overtime_claims ("
    "  staff TEXT NOT NULL,"
    "  day INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  minutes INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (staff, day, kind));"
    "ALTER TABLE shifts ADD COLUMN uid TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE shifts ADD COLUMN origin TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE shifts ADD COLUMN out_station TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE shifts ADD COLUMN shared_pending INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX shifts_by_uid ON shifts (uid) WHERE uid != '';",
};

constexpr const char* kStaffColumns =
    "staff, section, section_type, pattern_start, pattern_end, approver, break_min, days_off";

Staff staff_from(const Statement& st, int first) {
  return Staff{st.text(first), st.text(first + 1),
               parse_section_type(st.text(first + 2)).value_or(SectionType::ordinary),
               Pattern{static_cast<int>(st.int64(first + 3)), static_cast<int>(st.int64(first + 4)),
                       static_cast<int>(st.int64(first + 6)), static_cast<unsigned>(st.int64(first + 7))},
               st.int64(first + 5) != 0};
}

constexpr const char* kShiftColumns =
    "SELECT id, staff, in_ms, in_reader, out_ms, out_reader, auto_closed, disaster, uid, origin, out_station "
    "FROM shifts ";

Shift shift_from(const Statement& st) {
  Shift s{st.int64(0),      st.text(1),       st.int64(2), st.text(3), std::nullopt, st.text(5),
          st.int64(6) != 0, st.int64(7) != 0, st.text(8),  st.text(9), st.text(10)};
  if (!st.is_null(4)) s.out_ms = st.int64(4);
  return s;
}

std::vector<Shift> shifts_of(Statement& st) {
  std::vector<Shift> out;
  while (st.step()) out.push_back(shift_from(st));
  return out;
}

Disaster disaster_from(const Statement& st) {
  Disaster d{st.int64(0), st.text(1), st.int64(2), std::nullopt};
  if (!st.is_null(3)) d.ended_ms = st.int64(3);
  return d;
}

}  // namespace

int Store::schema_version() const {
  return db::schema_version(db_);
}

void Store::migrate() {
  db::migrate(db_, "attendance", kMigrations);
}

bool Store::enroll(const Staff& s, std::string_view token, int64_t now_ms, int64_t day) {
  Statement st(sql_,
               "INSERT INTO staff (staff, token, section, section_type, pattern_start, pattern_end, enrolled_ms, "
               "approver, break_min, days_off) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
               "ON CONFLICT (staff) DO UPDATE SET token = ?2, section = ?3, section_type = ?4, pattern_start = ?5, "
               "pattern_end = ?6, enrolled_ms = ?7, approver = ?8, break_min = ?9, days_off = ?10");
  st.bind(1, s.staff).bind(2, token).bind(3, s.section).bind(4, std::string_view(to_string(s.section_type)));
  st.bind(5, int64_t{s.pattern.start_min}).bind(6, int64_t{s.pattern.end_min}).bind(7, now_ms);
  st.bind(8, int64_t{s.approver ? 1 : 0}).bind(9, int64_t{s.pattern.break_min});
  st.bind(10, int64_t{s.pattern.days_off}).run();
  // Effective-dated: a change holds from the enrolment's station day on and
  // leaves earlier days as they were computed. A second change the same day
  // replaces the first.
  const Terms terms{s.section_type, s.pattern};
  const TermsHistory before = history(s.staff);
  Statement has(sql_, "SELECT 1 FROM staff_terms WHERE staff = ?1");
  has.bind(1, s.staff);
  if (has.step() && before.at(day) == terms) return false;
  Statement put(sql_,
                "INSERT OR REPLACE INTO staff_terms (staff, from_day, section_type, pattern_start, pattern_end, "
                "break_min, days_off) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  put.bind(1, s.staff).bind(2, day).bind(3, std::string_view(to_string(s.section_type)));
  put.bind(4, int64_t{s.pattern.start_min}).bind(5, int64_t{s.pattern.end_min});
  put.bind(6, int64_t{s.pattern.break_min}).bind(7, int64_t{s.pattern.days_off}).run();
  return true;
}

TermsHistory Store::history(std::string_view staff) const {
  Statement st(sql_,
               "SELECT from_day, section_type, pattern_start, pattern_end, break_min, days_off FROM staff_terms "
               "WHERE staff = ?1 ORDER BY from_day");
  st.bind(1, staff);
  std::vector<std::pair<int64_t, Terms>> rows;
  while (st.step()) {
    rows.emplace_back(st.int64(0), Terms{parse_section_type(st.text(1)).value_or(SectionType::ordinary),
                                         Pattern{static_cast<int>(st.int64(2)), static_cast<int>(st.int64(3)),
                                                 static_cast<int>(st.int64(4)), static_cast<unsigned>(st.int64(5))}});
  }
  return TermsHistory(std::move(rows));
}

std::vector<Staff> Store::all_staff() const {
  Statement st(sql_, std::string("SELECT ") + kStaffColumns + " FROM staff ORDER BY staff");
  std::vector<Staff> out;
  while (st.step()) out.push_back(staff_from(st, 0));
  return out;
}

std::optional<Staff> Store::find_by_token(std::string_view token) const {
  Statement st(sql_, std::string("SELECT ") + kStaffColumns + " FROM staff WHERE token = ?1");
  st.bind(1, token);
  if (!st.step()) return std::nullopt;
  return staff_from(st, 0);
}

std::optional<Staff> Store::find_staff(std::string_view staff) const {
  Statement st(sql_, std::string("SELECT ") + kStaffColumns + " FROM staff WHERE staff = ?1");
  st.bind(1, staff);
  if (!st.step()) return std::nullopt;
  return staff_from(st, 0);
}

bool Store::unenroll(std::string_view staff) {
  Statement st(sql_, "DELETE FROM staff WHERE staff = ?1");
  st.bind(1, staff).run();
  return sqlite3_changes(db_) > 0;
}

void Store::arm(const Arm& a) {
  Statement st(sql_,
               "INSERT OR REPLACE INTO arms (reader, staff, section, section_type, pattern_start, pattern_end, "
               "expires_ms, approver, break_min, days_off) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  st.bind(1, a.reader).bind(2, a.staff.staff).bind(3, a.staff.section);
  st.bind(4, std::string_view(to_string(a.staff.section_type)));
  st.bind(5, int64_t{a.staff.pattern.start_min}).bind(6, int64_t{a.staff.pattern.end_min}).bind(7, a.expires_ms);
  st.bind(8, int64_t{a.staff.approver ? 1 : 0}).bind(9, int64_t{a.staff.pattern.break_min});
  st.bind(10, int64_t{a.staff.pattern.days_off}).run();
}

std::optional<Arm> Store::active_arm(std::string_view reader, int64_t now_ms) const {
  Statement st(sql_,
               std::string("SELECT ") + kStaffColumns + ", expires_ms FROM arms WHERE reader = ?1 AND expires_ms > ?2");
  st.bind(1, reader).bind(2, now_ms);
  if (!st.step()) return std::nullopt;
  return Arm{std::string(reader), staff_from(st, 0), st.int64(8)};
}

void Store::disarm(std::string_view reader) {
  Statement st(sql_, "DELETE FROM arms WHERE reader = ?1");
  st.bind(1, reader).run();
}

std::optional<Shift> Store::open_shift(std::string_view staff) const {
  Statement st(sql_, std::string(kShiftColumns) + "WHERE staff = ?1 AND out_ms IS NULL ORDER BY in_ms DESC LIMIT 1");
  st.bind(1, staff);
  if (!st.step()) return std::nullopt;
  return shift_from(st);
}

std::optional<Shift> Store::shift_by_id(int64_t id) const {
  Statement st(sql_, std::string(kShiftColumns) + "WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return shift_from(st);
}

bool Store::has_uid(std::string_view uid) const {
  Statement st(sql_, "SELECT 1 FROM shifts WHERE uid = ?1 AND uid != ''");
  st.bind(1, uid);
  return st.step();
}

int64_t Store::add_remote_shift(const Shift& s) {
  Statement st(sql_,
               "INSERT INTO shifts (staff, in_ms, in_reader, out_ms, out_reader, auto_closed, disaster, uid, origin) "
               "VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8)");
  st.bind(1, s.staff).bind(2, s.in_ms).bind(3, s.in_reader).bind(4, s.out_ms.value_or(s.in_ms)).bind(5, s.out_reader);
  st.bind(6, int64_t{s.disaster ? 1 : 0}).bind(7, s.uid).bind(8, s.origin).run();
  return sqlite3_last_insert_rowid(db_);
}

std::vector<Shift> Store::shared_pending(int limit) const {
  Statement st(sql_, std::string(kShiftColumns) + "WHERE shared_pending != 0 ORDER BY id LIMIT ?1");
  st.bind(1, int64_t{limit});
  return shifts_of(st);
}

void Store::set_shared_pending(int64_t shift_id, bool pending) {
  Statement st(sql_, "UPDATE shifts SET shared_pending = ?2 WHERE id = ?1");
  st.bind(1, shift_id).bind(2, int64_t{pending ? 1 : 0}).run();
}

std::optional<Shift> Store::last_closed_shift(std::string_view staff) const {
  Statement st(sql_,
               std::string(kShiftColumns) + "WHERE staff = ?1 AND out_ms IS NOT NULL ORDER BY out_ms DESC LIMIT 1");
  st.bind(1, staff);
  if (!st.step()) return std::nullopt;
  return shift_from(st);
}

int64_t Store::clock_in(std::string_view staff, int64_t at_ms, std::string_view reader, bool disaster,
                        std::string_view uid) {
  Statement st(sql_, "INSERT INTO shifts (staff, in_ms, in_reader, disaster, uid) VALUES (?1, ?2, ?3, ?4, ?5)");
  st.bind(1, staff).bind(2, at_ms).bind(3, reader).bind(4, int64_t{disaster ? 1 : 0}).bind(5, uid).run();
  return sqlite3_last_insert_rowid(db_);
}

void Store::clock_out(int64_t shift_id, int64_t at_ms, std::string_view reader, bool auto_closed,
                      std::string_view out_station) {
  Statement st(sql_,
               "UPDATE shifts SET out_ms = ?2, out_reader = ?3, auto_closed = ?4, out_station = ?5 WHERE id = ?1");
  st.bind(1, shift_id).bind(2, at_ms).bind(3, reader).bind(4, int64_t{auto_closed ? 1 : 0}).bind(5, out_station);
  st.run();
}

std::vector<Shift> Store::open_shifts() const {
  Statement st(sql_, std::string(kShiftColumns) + "WHERE out_ms IS NULL ORDER BY in_ms, staff");
  return shifts_of(st);
}

void Store::mark_open_shifts_disaster() {
  Statement st(sql_, "UPDATE shifts SET disaster = 1 WHERE out_ms IS NULL");
  st.run();
}

std::vector<Shift> Store::shifts(std::string_view staff, int64_t from_ms, int64_t to_ms, bool with_remote) const {
  Statement st(sql_, std::string(kShiftColumns) +
                         "WHERE (?1 = '' OR staff = ?1) AND in_ms >= ?2 AND in_ms < ?3 AND (?4 OR origin = '') "
                         "ORDER BY staff, in_ms");
  st.bind(1, staff).bind(2, from_ms).bind(3, to_ms).bind(4, int64_t{with_remote ? 1 : 0});
  return shifts_of(st);
}

int64_t Store::add_correction(const Correction& c) {
  Statement st(sql_,
               "INSERT INTO corrections (staff, day, in_ms, out_ms, reason, approver, created_ms) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  st.bind(1, c.staff).bind(2, c.day).bind(3, c.in_ms).bind(4, c.out_ms).bind(5, c.reason).bind(6, c.approver);
  st.bind(7, c.created_ms).run();
  return sqlite3_last_insert_rowid(db_);
}

std::vector<Correction> Store::corrections(std::string_view staff, int64_t from_day, int64_t to_day) const {
  Statement st(sql_,
               "SELECT id, staff, day, in_ms, out_ms, reason, approver, created_ms FROM corrections "
               "WHERE (?1 = '' OR staff = ?1) AND day >= ?2 AND day < ?3 ORDER BY id");
  st.bind(1, staff).bind(2, from_day).bind(3, to_day);
  std::vector<Correction> out;
  while (st.step()) {
    out.push_back(Correction{st.int64(0), st.text(1), st.int64(2), st.int64(3), st.int64(4), st.text(5), st.text(6),
                             st.int64(7)});
  }
  return out;
}

bool Store::warned(std::string_view staff, std::string_view kind, std::string_view period) const {
  Statement st(sql_, "SELECT 1 FROM warned WHERE staff = ?1 AND kind = ?2 AND period = ?3");
  st.bind(1, staff).bind(2, kind).bind(3, period);
  return st.step();
}

void Store::set_warned(std::string_view staff, std::string_view kind, std::string_view period, bool on) {
  Statement st(sql_, on ? "INSERT OR IGNORE INTO warned (staff, kind, period) VALUES (?1, ?2, ?3)"
                        : "DELETE FROM warned WHERE staff = ?1 AND kind = ?2 AND period = ?3");
  st.bind(1, staff).bind(2, kind).bind(3, period).run();
}

bool Store::alerted(int64_t shift_id) const {
  Statement st(sql_, "SELECT 1 FROM alerted WHERE shift_id = ?1");
  st.bind(1, shift_id);
  return st.step();
}

void Store::set_alerted(int64_t shift_id) {
  Statement st(sql_, "INSERT OR IGNORE INTO alerted (shift_id) VALUES (?1)");
  st.bind(1, shift_id).run();
}

std::optional<Disaster> Store::current_disaster() const {
  Statement st(sql_,
               "SELECT id, name, since_ms, ended_ms FROM disasters WHERE ended_ms IS NULL ORDER BY id DESC LIMIT 1");
  if (!st.step()) return std::nullopt;
  return disaster_from(st);
}

std::optional<Disaster> Store::last_disaster() const {
  Statement st(sql_, "SELECT id, name, since_ms, ended_ms FROM disasters ORDER BY id DESC LIMIT 1");
  if (!st.step()) return std::nullopt;
  return disaster_from(st);
}

void Store::declare_disaster(std::string_view name, int64_t since_ms) {
  Statement st(sql_, "INSERT INTO disasters (name, since_ms) VALUES (?1, ?2)");
  st.bind(1, name).bind(2, since_ms).run();
  // The v2 flag, kept in step for a downgrade to a plugin that reads it.
  db::exec(db_, "INSERT OR REPLACE INTO state (key, value) VALUES ('disaster', 1)");
}

void Store::rename_disaster(std::string_view name) {
  Statement st(sql_, "UPDATE disasters SET name = ?1 WHERE ended_ms IS NULL");
  st.bind(1, name).run();
}

void Store::end_disaster(int64_t at_ms) {
  Statement st(sql_, "UPDATE disasters SET ended_ms = ?1 WHERE ended_ms IS NULL");
  st.bind(1, at_ms).run();
  db::exec(db_, "INSERT OR REPLACE INTO state (key, value) VALUES ('disaster', 0)");
}

std::optional<int64_t> Store::put_claim(const OvertimeClaim& c, int64_t now_ms) {
  std::optional<int64_t> before;
  Statement old(sql_, "SELECT minutes FROM overtime_claims WHERE staff = ?1 AND day = ?2 AND kind = ?3");
  old.bind(1, c.staff).bind(2, c.day).bind(3, c.kind);
  if (old.step()) before = old.int64(0);
  Statement st(sql_,
               "INSERT OR REPLACE INTO overtime_claims (staff, day, kind, minutes, updated_ms) "
               "VALUES (?1, ?2, ?3, ?4, ?5)");
  st.bind(1, c.staff).bind(2, c.day).bind(3, c.kind).bind(4, c.minutes).bind(5, now_ms).run();
  return before;
}

std::vector<OvertimeClaim> Store::claims(int64_t from_day, int64_t to_day) const {
  Statement st(sql_,
               "SELECT staff, day, kind, minutes FROM overtime_claims WHERE day >= ?1 AND day < ?2 "
               "ORDER BY staff, day, kind");
  st.bind(1, from_day).bind(2, to_day);
  std::vector<OvertimeClaim> out;
  while (st.step()) out.push_back(OvertimeClaim{st.text(0), st.int64(1), st.text(2), st.int64(3)});
  return out;
}

}  // namespace kazasu::attendance
