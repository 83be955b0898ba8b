#include "link_store.hpp"

#include <array>

#include <kazasu/migrations.hpp>
#include <kazasu/sqlite.hpp>

namespace kazasu::library {

using db::Statement;
namespace {

// Migrations, in order; schema version N is the state after the first N steps.
// Append only: a shipped step is never edited, since stations upgrade from any version.
constexpr std::array<const char*, 3> kMigrations = {
    // v1: links keyed by patron (so history in the ILS and first_linked_ms survive a
    // relink), arms per counter reader, and daily totals instead of per-visit rows.
    "CREATE TABLE links ("
    "  patron TEXT PRIMARY KEY,"
    "  token TEXT NOT NULL UNIQUE,"
    "  linked_ms INTEGER NOT NULL,"
    "  first_linked_ms INTEGER NOT NULL,"
    "  relinks INTEGER NOT NULL DEFAULT 0,"
    "  link_id TEXT NOT NULL);"
    "CREATE TABLE arms ("
    "  reader TEXT PRIMARY KEY,"
    "  patron TEXT NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"
    "  command_id TEXT NOT NULL);"
    "CREATE TABLE daily_counts ("
    "  day TEXT NOT NULL,"
    "  counter TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  PRIMARY KEY (day, counter));",
    // v2: links are shared across the city's stations (docs/shared.md). This
    // file keeps a copy for taps while the engine is away; `synced` = 0 marks a
    // link the engine does not have yet (every link of a single-station file,
    // so they reach the engine at the first sync), and conflicts already shown
    // here are remembered.
    "ALTER TABLE links ADD COLUMN synced INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE seen_conflicts (id TEXT PRIMARY KEY);",
    // v3: `patrons` in the daily totals counts distinct patrons. Today's patron
    // numbers are kept for that alone and deleted when the station's day turns,
    // so no record of who came on which day outlives the day. Counts made before
    // v3 (taps of linked cards) stay as they were.
    "CREATE TABLE today_patrons (day TEXT NOT NULL, patron TEXT NOT NULL, PRIMARY KEY (day, patron));",
};

Link link_from(const Statement& st) {
  return Link{st.text(0), st.int64(1), st.int64(2), st.int64(3)};
}

}  // namespace

int LinkStore::schema_version() const {
  return db::schema_version(db_);
}

void LinkStore::migrate() {
  db::migrate(db_, "library", kMigrations);
}

std::optional<Link> LinkStore::find_by_token(std::string_view token) const {
  Statement st(sql_, "SELECT patron, linked_ms, first_linked_ms, relinks FROM links WHERE token = ?1");
  st.bind(1, token);
  if (!st.step()) return std::nullopt;
  return link_from(st);
}

std::optional<Link> LinkStore::find_by_patron(std::string_view patron) const {
  Statement st(sql_, "SELECT patron, linked_ms, first_linked_ms, relinks FROM links WHERE patron = ?1");
  st.bind(1, patron);
  if (!st.step()) return std::nullopt;
  return link_from(st);
}

LinkResult LinkStore::link(std::string_view patron, std::string_view token, int64_t now_ms, std::string_view tap_id) {
  if (auto owner = find_by_token(token)) {
    if (owner->patron == patron) return {LinkOutcome::unchanged, {}};
    return {LinkOutcome::already_linked, owner->patron};
  }
  if (find_by_patron(patron)) {
    // The old token is dropped for good: a renewed certificate never comes back.
    Statement st(sql_,
                 "UPDATE links SET token = ?2, linked_ms = ?3, relinks = relinks + 1, link_id = ?4"
                 " WHERE patron = ?1");
    st.bind(1, patron).bind(2, token).bind(3, now_ms).bind(4, tap_id).run();
    return {LinkOutcome::replaced, {}};
  }
  Statement st(sql_,
               "INSERT INTO links(patron, token, linked_ms, first_linked_ms, relinks, link_id)"
               " VALUES (?1, ?2, ?3, ?3, 0, ?4)");
  st.bind(1, patron).bind(2, token).bind(3, now_ms).bind(4, tap_id).run();
  return {LinkOutcome::linked, {}};
}

bool LinkStore::unlink(std::string_view patron) {
  Statement st(sql_, "DELETE FROM links WHERE patron = ?1");
  st.bind(1, patron).run();
  return sqlite3_changes(db_) > 0;
}

void LinkStore::arm(const Arm& arm) {
  disarm_patron(arm.patron);
  Statement st(sql_,
               "INSERT INTO arms(reader, patron, expires_ms, command_id) VALUES (?1, ?2, ?3, ?4)"
               " ON CONFLICT(reader) DO UPDATE SET patron = ?2, expires_ms = ?3, command_id = ?4");
  st.bind(1, arm.reader).bind(2, arm.patron).bind(3, arm.expires_ms).bind(4, arm.command_id).run();
}

std::optional<Arm> LinkStore::active_arm(std::string_view reader, int64_t now_ms) {
  Statement purge(sql_, "DELETE FROM arms WHERE expires_ms <= ?1");
  purge.bind(1, now_ms).run();
  Statement st(sql_, "SELECT reader, patron, expires_ms, command_id FROM arms WHERE reader = ?1");
  st.bind(1, reader);
  if (!st.step()) return std::nullopt;
  return Arm{st.text(0), st.text(1), st.int64(2), st.text(3)};
}

void LinkStore::disarm(std::string_view reader) {
  Statement st(sql_, "DELETE FROM arms WHERE reader = ?1");
  st.bind(1, reader).run();
}

void LinkStore::disarm_patron(std::string_view patron) {
  Statement st(sql_, "DELETE FROM arms WHERE patron = ?1");
  st.bind(1, patron).run();
}

void LinkStore::count(std::string_view day, std::string_view counter) {
  Statement st(sql_,
               "INSERT INTO daily_counts(day, counter, n) VALUES (?1, ?2, 1)"
               " ON CONFLICT(day, counter) DO UPDATE SET n = n + 1");
  st.bind(1, day).bind(2, counter).run();
}

std::map<std::string, int64_t> LinkStore::counts(std::string_view day) const {
  Statement st(sql_, "SELECT counter, n FROM daily_counts WHERE day = ?1");
  st.bind(1, day);
  std::map<std::string, int64_t> out;
  while (st.step()) out[st.text(0)] = st.int64(1);
  return out;
}

std::optional<std::string> LinkStore::token_of(std::string_view patron) const {
  Statement st(sql_, "SELECT token FROM links WHERE patron = ?1");
  st.bind(1, patron);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

void LinkStore::remember(const Link& link, std::string_view token) {
  // The engine's word replaces whatever this copy held for the patron or the card.
  Statement drop(sql_, "DELETE FROM links WHERE token = ?1 AND patron <> ?2");
  drop.bind(1, token).bind(2, link.patron).run();
  Statement st(sql_,
               "INSERT INTO links(patron, token, linked_ms, first_linked_ms, relinks, link_id, synced)"
               " VALUES (?1, ?2, ?3, ?4, ?5, '', 1) ON CONFLICT(patron) DO UPDATE SET token = ?2, linked_ms = ?3,"
               " first_linked_ms = ?4, relinks = ?5, synced = 1");
  st.bind(1, link.patron)
      .bind(2, token)
      .bind(3, link.linked_ms)
      .bind(4, link.first_linked_ms)
      .bind(5, link.relinks)
      .run();
}

void LinkStore::forget_token(std::string_view token) {
  Statement st(sql_, "DELETE FROM links WHERE token = ?1 AND synced = 1");
  st.bind(1, token).run();
}

void LinkStore::set_synced(std::string_view patron, bool synced) {
  Statement st(sql_, "UPDATE links SET synced = ?2 WHERE patron = ?1");
  st.bind(1, patron).bind(2, int64_t{synced ? 1 : 0}).run();
}

bool LinkStore::synced(std::string_view patron) const {
  Statement st(sql_, "SELECT synced FROM links WHERE patron = ?1");
  st.bind(1, patron);
  return st.step() && st.int64(0) != 0;
}

std::vector<PendingLink> LinkStore::pending() const {
  Statement st(
      db_, "SELECT patron, linked_ms, first_linked_ms, relinks, token FROM links WHERE synced = 0 ORDER BY linked_ms");
  std::vector<PendingLink> out;
  while (st.step()) out.push_back(PendingLink{link_from(st), st.text(4)});
  return out;
}

bool LinkStore::first_sight(std::string_view conflict_id) {
  Statement st(sql_, "INSERT INTO seen_conflicts(id) VALUES (?1) ON CONFLICT(id) DO NOTHING");
  st.bind(1, conflict_id).run();
  return sqlite3_changes(db_) > 0;
}

bool LinkStore::count_patron(std::string_view day, std::string_view patron) {
  Statement purge(sql_, "DELETE FROM today_patrons WHERE day <> ?1");
  purge.bind(1, day).run();
  Statement st(sql_, "INSERT INTO today_patrons(day, patron) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
  st.bind(1, day).bind(2, patron).run();
  if (sqlite3_changes(db_) == 0) return false;
  count(day, "patrons");
  return true;
}

}  // namespace kazasu::library
