#include "points_store.hpp"

#include <kazasu/migrations.hpp>
#include <kazasu/sqlite.hpp>

namespace kazasu::points {
namespace {

using kazasu::db::Statement;

// Append only: a shipped step is never edited (kazasu/migrations.hpp).
constexpr const char* kSteps[] = {
    // v1
    "CREATE TABLE movements (id TEXT PRIMARY KEY, kind TEXT NOT NULL, token TEXT NOT NULL,"
    " facility TEXT NOT NULL, event TEXT NOT NULL, ref TEXT NOT NULL, amount INTEGER NOT NULL,"
    " day TEXT NOT NULL, month TEXT NOT NULL, fy INTEGER NOT NULL, at_ms INTEGER NOT NULL,"
    " offline INTEGER NOT NULL, checked INTEGER NOT NULL, verified INTEGER NOT NULL DEFAULT 0,"
    " request TEXT NOT NULL, result TEXT NOT NULL);"
    "CREATE INDEX movements_by_account ON movements (token, facility, day);"
    "CREATE INDEX movements_by_month ON movements (month, facility);"
    "CREATE INDEX movements_unchecked ON movements (checked) WHERE checked = 0;"
    "CREATE TABLE accounts (token TEXT PRIMARY KEY, status TEXT NOT NULL, balance INTEGER NOT NULL,"
    " fy INTEGER NOT NULL, fy_earned INTEGER NOT NULL, seen_ms INTEGER NOT NULL);"
    "CREATE TABLE arms (reader TEXT PRIMARY KEY, consent_method TEXT NOT NULL, consent_ms INTEGER NOT NULL,"
    " expires_ms INTEGER NOT NULL);"
    "CREATE TABLE streams (key TEXT PRIMARY KEY);"
    "CREATE TABLE settled (project TEXT PRIMARY KEY, outcome TEXT NOT NULL, at_ms INTEGER NOT NULL);"
    "CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE counters (day TEXT NOT NULL, facility TEXT NOT NULL, name TEXT NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY (day, facility, name));",
};

constexpr const char* kMovementColumns =
    "id, kind, token, facility, event, ref, amount, day, fy, at_ms, offline, checked, request, result";

MovementRow row_of(const Statement& st) {
  MovementRow m;
  m.id = st.text(0);
  m.kind = st.text(1);
  m.token = st.text(2);
  m.facility = st.text(3);
  m.event = st.text(4);
  m.ref = st.text(5);
  m.amount = st.int64(6);
  m.day = st.text(7);
  m.fy = static_cast<int>(st.int64(8));
  m.at_ms = st.int64(9);
  m.offline = st.int64(10) != 0;
  m.checked = st.int64(11) != 0;
  m.request = st.text(12);
  m.result = st.text(13);
  return m;
}

std::vector<MovementRow> rows(Statement& st) {
  std::vector<MovementRow> out;
  while (st.step()) out.push_back(row_of(st));
  return out;
}

}  // namespace

void PointsStore::migrate() {
  kazasu::db::migrate(db_, "points", kSteps);
}

int PointsStore::schema_version() const {
  return kazasu::db::schema_version(db_);
}

std::optional<MovementRow> PointsStore::movement(std::string_view id) const {
  Statement st(sql_, std::string("SELECT ") + kMovementColumns + " FROM movements WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return row_of(st);
}

bool PointsStore::add_movement(const MovementRow& m) {
  Statement st(sql_,
               "INSERT OR IGNORE INTO movements (id, kind, token, facility, event, ref, amount, day, month, fy, at_ms,"
               " offline, checked, request, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
               " ?14, ?15)");
  st.bind(1, m.id).bind(2, m.kind).bind(3, m.token).bind(4, m.facility).bind(5, m.event).bind(6, m.ref);
  st.bind(7, m.amount).bind(8, m.day).bind(9, std::string_view(m.day).substr(0, 7)).bind(10, int64_t{m.fy});
  st.bind(11, m.at_ms).bind(12, int64_t{m.offline ? 1 : 0}).bind(13, int64_t{m.checked ? 1 : 0});
  st.bind(14, m.request).bind(15, m.result);
  st.run();
  return sqlite3_changes(db_) > 0;
}

int64_t PointsStore::local_visits(std::string_view token, std::string_view facility, std::string_view day) const {
  Statement st(sql_,
               "SELECT (SELECT COUNT(*) FROM movements WHERE token = ?1 AND facility = ?2 AND day = ?3"
               " AND kind = 'visit') - (SELECT COUNT(*) FROM movements WHERE token = ?1 AND facility = ?2"
               " AND day = ?3 AND kind = 'correction' AND event = '' AND request = 'daily_limit')");
  st.bind(1, token).bind(2, facility).bind(3, day);
  return st.step() ? st.int64(0) : 0;
}

int64_t PointsStore::local_bonuses(std::string_view token, std::string_view event) const {
  Statement st(sql_, "SELECT COUNT(*) FROM movements WHERE token = ?1 AND event = ?2 AND kind = 'bonus'");
  st.bind(1, token).bind(2, event);
  return st.step() ? st.int64(0) : 0;
}

int64_t PointsStore::offline_earned_since(std::string_view token, int fy, int64_t after_ms) const {
  Statement st(sql_,
               "SELECT COALESCE(SUM(amount), 0) FROM movements WHERE token = ?1 AND fy = ?2 AND offline = 1"
               " AND kind IN ('visit', 'bonus') AND at_ms >= ?3");
  st.bind(1, token).bind(2, int64_t{fy}).bind(3, after_ms);
  return st.step() ? st.int64(0) : 0;
}

std::vector<MovementRow> PointsStore::unchecked_offline() const {
  Statement st(sql_, std::string("SELECT ") + kMovementColumns +
                         " FROM movements WHERE checked = 0 ORDER BY at_ms, id LIMIT 200");
  return rows(st);
}

void PointsStore::set_checked(std::string_view id) {
  Statement st(sql_, "UPDATE movements SET checked = 1 WHERE id = ?1");
  st.bind(1, id);
  st.run();
}

std::vector<MovementRow> PointsStore::unverified(size_t limit) const {
  Statement st(sql_, std::string("SELECT ") + kMovementColumns +
                         " FROM movements WHERE verified = 0 ORDER BY at_ms, id LIMIT ?1");
  st.bind(1, static_cast<int64_t>(limit));
  return rows(st);
}

void PointsStore::set_verified(std::string_view id) {
  Statement st(sql_, "UPDATE movements SET verified = 1 WHERE id = ?1");
  st.bind(1, id);
  st.run();
}

int64_t PointsStore::movements_here(std::string_view kind) const {
  Statement st(sql_, "SELECT COUNT(*) FROM movements WHERE kind = ?1");
  st.bind(1, kind);
  return st.step() ? st.int64(0) : 0;
}

std::optional<CachedAccount> PointsStore::cached(std::string_view token) const {
  Statement st(sql_, "SELECT status, balance, fy, fy_earned, seen_ms FROM accounts WHERE token = ?1");
  st.bind(1, token);
  if (!st.step()) return std::nullopt;
  return CachedAccount{st.text(0), st.int64(1), static_cast<int>(st.int64(2)), st.int64(3), st.int64(4)};
}

void PointsStore::remember(std::string_view token, const CachedAccount& a) {
  Statement st(sql_,
               "INSERT INTO accounts (token, status, balance, fy, fy_earned, seen_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
               " ON CONFLICT (token) DO UPDATE SET status = ?2, balance = ?3, fy = ?4, fy_earned = ?5, seen_ms = ?6");
  st.bind(1, token).bind(2, a.status).bind(3, a.balance).bind(4, int64_t{a.fy}).bind(5, a.fy_earned);
  st.bind(6, a.seen_ms);
  st.run();
}

void PointsStore::forget(std::string_view token) {
  Statement st(sql_, "DELETE FROM accounts WHERE token = ?1");
  st.bind(1, token);
  st.run();
}

void PointsStore::arm(const Arm& a) {
  Statement st(sql_,
               "INSERT INTO arms (reader, consent_method, consent_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)"
               " ON CONFLICT (reader) DO UPDATE SET consent_method = ?2, consent_ms = ?3, expires_ms = ?4");
  st.bind(1, a.reader).bind(2, a.consent_method).bind(3, a.consent_ms).bind(4, a.expires_ms);
  st.run();
}

std::optional<Arm> PointsStore::active_arm(std::string_view reader, int64_t now_ms) const {
  Statement st(sql_,
               "SELECT reader, consent_method, consent_ms, expires_ms FROM arms WHERE reader = ?1 AND expires_ms > ?2");
  st.bind(1, reader).bind(2, now_ms);
  if (!st.step()) return std::nullopt;
  return Arm{st.text(0), st.text(1), st.int64(2), st.int64(3)};
}

void PointsStore::disarm(std::string_view reader) {
  Statement st(sql_, "DELETE FROM arms WHERE reader = ?1");
  st.bind(1, reader);
  st.run();
}

bool PointsStore::known_stream(std::string_view key) const {
  Statement st(sql_, "SELECT 1 FROM streams WHERE key = ?1");
  st.bind(1, key);
  return st.step();
}

void PointsStore::remember_stream(std::string_view key) {
  Statement st(sql_, "INSERT OR IGNORE INTO streams (key) VALUES (?1)");
  st.bind(1, key);
  st.run();
}

std::optional<std::string> PointsStore::settled(std::string_view project) const {
  Statement st(sql_, "SELECT outcome FROM settled WHERE project = ?1");
  st.bind(1, project);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

void PointsStore::settle(std::string_view project, std::string_view outcome, int64_t at_ms) {
  Statement st(sql_, "INSERT OR REPLACE INTO settled (project, outcome, at_ms) VALUES (?1, ?2, ?3)");
  st.bind(1, project).bind(2, outcome).bind(3, at_ms);
  st.run();
}

std::optional<std::string> PointsStore::state(std::string_view key) const {
  Statement st(sql_, "SELECT value FROM state WHERE key = ?1");
  st.bind(1, key);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

void PointsStore::set_state(std::string_view key, std::string_view value) {
  Statement st(sql_, "INSERT OR REPLACE INTO state (key, value) VALUES (?1, ?2)");
  st.bind(1, key).bind(2, value);
  st.run();
}

void PointsStore::count(std::string_view day, std::string_view facility, std::string_view name) {
  Statement st(sql_,
               "INSERT INTO counters (day, facility, name, n) VALUES (?1, ?2, ?3, 1)"
               " ON CONFLICT (day, facility, name) DO UPDATE SET n = n + 1");
  st.bind(1, day).bind(2, facility).bind(3, name);
  st.run();
}

std::vector<ReportLine> PointsStore::report(std::string_view month) const {
  Statement st(sql_,
               "SELECT day, facility, event, kind, COUNT(*), SUM(amount), COUNT(DISTINCT token) FROM movements"
               " WHERE month = ?1 AND kind IN ('visit', 'bonus', 'correction')"
               " GROUP BY day, facility, event, kind ORDER BY day, facility, event, kind");
  st.bind(1, month);
  std::vector<ReportLine> out;
  while (st.step()) {
    out.push_back(ReportLine{st.text(0), st.text(1), st.text(2), st.text(3), st.int64(4), st.int64(5), st.int64(6)});
  }
  return out;
}

std::vector<std::pair<std::string, int64_t>> PointsStore::participants(std::string_view month) const {
  Statement st(sql_,
               "SELECT facility, COUNT(DISTINCT token) FROM movements WHERE month = ?1 AND kind IN ('visit', 'bonus')"
               " GROUP BY facility ORDER BY facility");
  st.bind(1, month);
  std::vector<std::pair<std::string, int64_t>> out;
  while (st.step()) out.emplace_back(st.text(0), st.int64(1));
  return out;
}

std::vector<std::pair<std::string, int64_t>> PointsStore::refusals(std::string_view month) const {
  Statement st(sql_,
               "SELECT facility || '/' || name, SUM(n) FROM counters WHERE substr(day, 1, 7) = ?1"
               " GROUP BY facility, name ORDER BY facility, name");
  st.bind(1, month);
  std::vector<std::pair<std::string, int64_t>> out;
  while (st.step()) out.emplace_back(st.text(0), st.int64(1));
  return out;
}

}  // namespace kazasu::points
