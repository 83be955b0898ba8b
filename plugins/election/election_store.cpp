#include "election_store.hpp"

#include <algorithm>
#include <cstdio>
#include <kazasu/migrations.hpp>
#include <kazasu/sqlite.hpp>
#include <kazasu/station_time.hpp>
#include <set>

namespace kazasu::election {
namespace {

using kazasu::db::Statement;

// Append only: a shipped step is never edited (kazasu/migrations.hpp).
constexpr const char* kSteps[] = {
    // v1
    "CREATE TABLE elections (id TEXT PRIMARY KEY, name TEXT NOT NULL, early_start TEXT NOT NULL,"
    " early_end TEXT NOT NULL, election_day TEXT NOT NULL, opened_ms INTEGER NOT NULL);"
    "CREATE TABLE election_stations (election TEXT NOT NULL REFERENCES elections(id), station TEXT NOT NULL,"
    " early_voting INTEGER NOT NULL, election_day INTEGER NOT NULL, PRIMARY KEY (election, station));"
    "CREATE TABLE roll_versions (election TEXT NOT NULL REFERENCES elections(id), version INTEGER NOT NULL,"
    " imported_ms INTEGER NOT NULL, command_id TEXT NOT NULL, voters INTEGER NOT NULL, added INTEGER NOT NULL,"
    " removed INTEGER NOT NULL, changed INTEGER NOT NULL, PRIMARY KEY (election, version));"
    "CREATE TABLE voters (election TEXT NOT NULL, version INTEGER NOT NULL, voter_number TEXT NOT NULL,"
    " name_kanji TEXT NOT NULL, name_kana TEXT NOT NULL, birth_date TEXT NOT NULL, sex TEXT NOT NULL,"
    " district TEXT NOT NULL, station TEXT NOT NULL, note TEXT NOT NULL,"
    " PRIMARY KEY (election, version, voter_number),"
    " FOREIGN KEY (election, version) REFERENCES roll_versions(election, version));"
    "CREATE TABLE links (election TEXT NOT NULL REFERENCES elections(id), voter_number TEXT NOT NULL,"
    " token TEXT NOT NULL, linked_ms INTEGER NOT NULL, PRIMARY KEY (election, voter_number),"
    " UNIQUE (election, token));"
    "CREATE TABLE arms (reader TEXT PRIMARY KEY, election TEXT NOT NULL, voter_number TEXT NOT NULL,"
    " expires_ms INTEGER NOT NULL);"
    "CREATE TABLE receptions (election TEXT NOT NULL REFERENCES elections(id), voter_number TEXT NOT NULL,"
    " day TEXT NOT NULL, at_ms INTEGER NOT NULL, kind TEXT NOT NULL, roll_version INTEGER NOT NULL,"
    " tap_id TEXT NOT NULL, PRIMARY KEY (election, voter_number));"
    "CREATE INDEX receptions_by_day ON receptions (election, day);"
    "CREATE TABLE counters (election TEXT NOT NULL, day TEXT NOT NULL, counter TEXT NOT NULL,"
    " n INTEGER NOT NULL, PRIMARY KEY (election, day, counter));",
    // v2: the roll's address (basic-four matching), matches waiting for staff,
    // how each reception was made, closing and purging, hourly reconciliation.
    "ALTER TABLE voters ADD COLUMN address TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX voters_by_birth ON voters (election, version, birth_date);"
    "ALTER TABLE elections ADD COLUMN closed_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE elections ADD COLUMN purged_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE receptions ADD COLUMN method TEXT NOT NULL DEFAULT 'token';"
    "ALTER TABLE receptions ADD COLUMN district TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE receptions ADD COLUMN sex TEXT NOT NULL DEFAULT '';"
    "UPDATE receptions SET district = COALESCE((SELECT v.district FROM voters v WHERE v.election = receptions.election"
    " AND v.version = receptions.roll_version AND v.voter_number = receptions.voter_number), ''),"
    " sex = COALESCE((SELECT v.sex FROM voters v WHERE v.election = receptions.election"
    " AND v.version = receptions.roll_version AND v.voter_number = receptions.voter_number), '');"
    "CREATE TABLE matches (election TEXT NOT NULL, voter_number TEXT NOT NULL, method TEXT NOT NULL,"
    " tap_id TEXT NOT NULL, at_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
    " PRIMARY KEY (election, voter_number));"
    "CREATE TABLE reconciliations (election TEXT NOT NULL, day TEXT NOT NULL, hour TEXT NOT NULL,"
    " issued INTEGER NOT NULL, receptions INTEGER NOT NULL, at_ms INTEGER NOT NULL,"
    " PRIMARY KEY (election, day, hour));",
    // v3: rolls sent in parts, kept until the last part is here.
    "CREATE TABLE roll_parts (election TEXT NOT NULL, upload TEXT NOT NULL, part INTEGER NOT NULL,"
    " parts INTEGER NOT NULL, csv TEXT NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (election, upload, part));",
};

constexpr const char* kVoterColumns =
    "voter_number, name_kanji, name_kana, birth_date, sex, district, station, note, address";

Voter voter_from(const Statement& st, int first) {
  return Voter{st.text(first),     st.text(first + 1), st.text(first + 2), st.text(first + 3), st.text(first + 4),
               st.text(first + 5), st.text(first + 6), st.text(first + 7), st.text(first + 8)};
}

std::string sql(std::string_view head, std::string_view tail) {
  return std::string(head) + kVoterColumns + std::string(tail);
}

int hour_of(int64_t at_ms, int32_t utc_offset_seconds) {
  const int64_t local = at_ms + static_cast<int64_t>(utc_offset_seconds) * 1000;
  return static_cast<int>((local - kazasu::station_day_number(at_ms, utc_offset_seconds) * kMsPerDay) / 3600000);
}

std::string two_digits(int n) {
  char h[8];
  std::snprintf(h, sizeof h, "%02d", n);
  return h;
}

// Quotes a CSV field when it needs it (commas, quotes).
std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (const char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

DayKind day_kind(const Election& e, std::string_view station, std::string_view day) {
  for (const auto& s : e.stations) {
    if (s.id != station) continue;
    if (s.election_day && day == e.election_day) return DayKind::election_day;
    // YYYY-MM-DD compares as text.
    if (s.early_voting && day >= std::string_view(e.early_start) && day <= std::string_view(e.early_end)) {
      return DayKind::early;
    }
  }
  return DayKind::none;
}

void ElectionStore::migrate() {
  kazasu::db::migrate(db_, "election", kSteps);
}

int ElectionStore::schema_version() const {
  return kazasu::db::schema_version(db_);
}

std::optional<Election> ElectionStore::election(std::string_view id) const {
  Statement st(sql_,
               "SELECT id, name, early_start, early_end, election_day, closed_ms, purged_ms FROM elections"
               " WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  Election e{st.text(0), st.text(1), st.text(2), st.text(3), st.text(4), {}, st.int64(5), st.int64(6)};
  Statement ss(
      db_, "SELECT station, early_voting, election_day FROM election_stations WHERE election = ?1 ORDER BY station");
  ss.bind(1, id);
  while (ss.step()) e.stations.push_back(StationEntry{ss.text(0), ss.int64(1) != 0, ss.int64(2) != 0});
  return e;
}

void ElectionStore::add_election(const Election& e, int64_t now_ms) {
  Statement st(sql_,
               "INSERT INTO elections (id, name, early_start, early_end, election_day, opened_ms)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  st.bind(1, e.id).bind(2, e.name).bind(3, e.early_start).bind(4, e.early_end).bind(5, e.election_day).bind(6, now_ms);
  st.run();
  for (const auto& s : e.stations) {
    Statement ss(
        db_, "INSERT INTO election_stations (election, station, early_voting, election_day) VALUES (?1, ?2, ?3, ?4)");
    ss.bind(1, e.id).bind(2, s.id).bind(3, int64_t{s.early_voting ? 1 : 0}).bind(4, int64_t{s.election_day ? 1 : 0});
    ss.run();
  }
}

std::vector<std::pair<Election, DayKind>> ElectionStore::active(std::string_view station, std::string_view day) const {
  std::vector<std::string> ids;
  {
    Statement st(sql_,
                 "SELECT e.id FROM elections e JOIN election_stations s ON s.election = e.id"
                 " WHERE s.station = ?1 AND ?2 BETWEEN e.early_start AND e.election_day AND e.closed_ms = 0"
                 " ORDER BY e.opened_ms, e.id");
    st.bind(1, station).bind(2, day);
    while (st.step()) ids.push_back(st.text(0));
  }
  std::vector<std::pair<Election, DayKind>> out;
  for (const auto& id : ids) {
    auto e = election(id);
    if (!e) continue;
    const DayKind k = day_kind(*e, station, day);
    if (k != DayKind::none) out.emplace_back(std::move(*e), k);
  }
  return out;
}

RollVersion ElectionStore::current_roll(std::string_view election) const {
  Statement st(sql_,
               "SELECT version, voters, imported_ms FROM roll_versions WHERE election = ?1"
               " ORDER BY version DESC LIMIT 1");
  st.bind(1, election);
  if (!st.step()) return RollVersion{};
  return RollVersion{st.int64(0), st.int64(1), st.int64(2)};
}

RollDiff ElectionStore::diff(std::string_view election, const std::vector<Voter>& voters) const {
  const int64_t version = current_roll(election).version;
  std::map<std::string, Voter> old;
  Statement st(sql_, sql("SELECT ", " FROM voters WHERE election = ?1 AND version = ?2"));
  st.bind(1, election).bind(2, version);
  while (st.step()) {
    Voter v = voter_from(st, 0);
    old.emplace(v.voter_number, std::move(v));
  }
  RollDiff d;
  std::set<std::string_view> present;
  for (const auto& v : voters) {
    present.insert(v.voter_number);
    const auto it = old.find(v.voter_number);
    if (it == old.end()) {
      ++d.added;
    } else if (!(it->second == v)) {
      ++d.changed;
    }
  }
  for (const auto& [number, _] : old) {
    if (!present.contains(number)) ++d.removed;
  }
  return d;
}

int64_t ElectionStore::add_roll(std::string_view election, const std::vector<Voter>& voters, const RollDiff& d,
                                int64_t now_ms, std::string_view command_id) {
  const int64_t version = current_roll(election).version + 1;
  Statement rv(sql_,
               "INSERT INTO roll_versions (election, version, imported_ms, command_id, voters, added, removed, changed)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  rv.bind(1, election).bind(2, version).bind(3, now_ms).bind(4, command_id);
  rv.bind(5, static_cast<int64_t>(voters.size())).bind(6, d.added).bind(7, d.removed).bind(8, d.changed);
  rv.run();
  for (const auto& v : voters) {
    Statement one(
        db_, sql("INSERT INTO voters (election, version, ", ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
    one.bind(1, election).bind(2, version).bind(3, v.voter_number).bind(4, v.name_kanji).bind(5, v.name_kana);
    one.bind(6, v.birth_date).bind(7, v.sex).bind(8, v.district).bind(9, v.station).bind(10, v.note);
    one.bind(11, v.address);
    one.run();
  }
  return version;
}

std::optional<Voter> ElectionStore::voter(std::string_view election, std::string_view voter_number) const {
  const int64_t version = current_roll(election).version;
  Statement st(sql_, sql("SELECT ", " FROM voters WHERE election = ?1 AND version = ?2 AND voter_number = ?3"));
  st.bind(1, election).bind(2, version).bind(3, voter_number);
  if (!st.step()) return std::nullopt;
  return voter_from(st, 0);
}

std::optional<std::string> ElectionStore::voter_of(std::string_view election, std::string_view token) const {
  Statement st(sql_, "SELECT voter_number FROM links WHERE election = ?1 AND token = ?2");
  st.bind(1, election).bind(2, token);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

bool ElectionStore::has_link(std::string_view election, std::string_view voter_number) const {
  Statement st(sql_, "SELECT 1 FROM links WHERE election = ?1 AND voter_number = ?2");
  st.bind(1, election).bind(2, voter_number);
  return st.step();
}

bool ElectionStore::link(std::string_view election, std::string_view voter_number, std::string_view token,
                         int64_t now_ms, bool& replaced) {
  replaced = false;
  if (const auto owner = voter_of(election, token)) {
    if (*owner != voter_number) return false;
    return true;  // already this voter's card
  }
  replaced = has_link(election, voter_number);
  Statement st(sql_,
               "INSERT INTO links (election, voter_number, token, linked_ms) VALUES (?1, ?2, ?3, ?4)"
               " ON CONFLICT (election, voter_number) DO UPDATE SET token = excluded.token,"
               " linked_ms = excluded.linked_ms");
  st.bind(1, election).bind(2, voter_number).bind(3, token).bind(4, now_ms);
  st.run();
  return true;
}

void ElectionStore::arm(const Arm& a) {
  // One arm per voter: arming another reader for the same voter moves it.
  Statement del(sql_, "DELETE FROM arms WHERE election = ?1 AND voter_number = ?2");
  del.bind(1, a.election).bind(2, a.voter_number);
  del.run();
  Statement st(sql_,
               "INSERT INTO arms (reader, election, voter_number, expires_ms) VALUES (?1, ?2, ?3, ?4)"
               " ON CONFLICT (reader) DO UPDATE SET election = excluded.election,"
               " voter_number = excluded.voter_number, expires_ms = excluded.expires_ms");
  st.bind(1, a.reader).bind(2, a.election).bind(3, a.voter_number).bind(4, a.expires_ms);
  st.run();
}

std::optional<Arm> ElectionStore::active_arm(std::string_view reader, int64_t now_ms) {
  Statement gone(sql_, "DELETE FROM arms WHERE expires_ms <= ?1");
  gone.bind(1, now_ms);
  gone.run();
  Statement st(sql_, "SELECT reader, election, voter_number, expires_ms FROM arms WHERE reader = ?1");
  st.bind(1, reader);
  if (!st.step()) return std::nullopt;
  return Arm{st.text(0), st.text(1), st.text(2), st.int64(3)};
}

void ElectionStore::disarm(std::string_view reader) {
  Statement st(sql_, "DELETE FROM arms WHERE reader = ?1");
  st.bind(1, reader);
  st.run();
}

std::optional<Reception> ElectionStore::reception(std::string_view election, std::string_view voter_number) const {
  Statement st(sql_, "SELECT day, at_ms, kind, method FROM receptions WHERE election = ?1 AND voter_number = ?2");
  st.bind(1, election).bind(2, voter_number);
  if (!st.step()) return std::nullopt;
  return Reception{st.text(0), st.int64(1), st.text(2), st.text(3)};
}

int64_t ElectionStore::add_reception(std::string_view election, const Voter& v, const Reception& r,
                                     int64_t roll_version, std::string_view tap_id) {
  Statement st(sql_,
               "INSERT INTO receptions (election, voter_number, day, at_ms, kind, roll_version, tap_id, method,"
               " district, sex) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  st.bind(1, election).bind(2, v.voter_number).bind(3, r.day).bind(4, r.at_ms).bind(5, r.kind);
  st.bind(6, roll_version).bind(7, tap_id).bind(8, r.method).bind(9, v.district).bind(10, v.sex);
  st.run();
  return sqlite3_last_insert_rowid(db_);
}

ElectionStore::DayCounts ElectionStore::reception_counts(std::string_view election, std::string_view day,
                                                         int32_t utc_offset_seconds) const {
  DayCounts c;
  Statement st(sql_, "SELECT kind, sex, at_ms, district FROM receptions WHERE election = ?1 AND day = ?2");
  st.bind(1, election).bind(2, day);
  while (st.step()) {
    ++c.total;
    const std::string kind = st.text(0);
    (kind == "early" ? c.early : kind == "absentee" ? c.absentee : c.election_day) += 1;
    const std::string sex = st.text(1);
    const std::string h = two_digits(hour_of(st.int64(2), utc_offset_seconds));
    if (sex == "1") {
      ++c.male;
      ++c.by_hour_sex[h].first;
    }
    if (sex == "2") {
      ++c.female;
      ++c.by_hour_sex[h].second;
    }
    ++c.by_hour[h];
    ++c.by_district[st.text(3)];
  }
  return c;
}

int64_t ElectionStore::receptions_before(std::string_view election, std::string_view day, int hour,
                                         int32_t utc_offset_seconds) const {
  int64_t n = 0;
  Statement st(sql_, "SELECT at_ms FROM receptions WHERE election = ?1 AND day = ?2 AND kind <> 'absentee'");
  st.bind(1, election).bind(2, day);
  while (st.step()) {
    if (hour_of(st.int64(0), utc_offset_seconds) < hour) ++n;
  }
  return n;
}

std::string ElectionStore::receptions_csv(std::string_view election, int32_t utc_offset_seconds) const {
  std::string out = "election,voter_number,district,kind,method,received_at\r\n";
  Statement st(sql_,
               "SELECT voter_number, district, kind, method, at_ms FROM receptions WHERE election = ?1"
               " ORDER BY at_ms, voter_number");
  st.bind(1, election);
  while (st.step()) {
    out += csv_field(std::string(election)) + ',' + csv_field(st.text(0)) + ',' + csv_field(st.text(1)) + ',' +
           st.text(2) + ',' + st.text(3) + ',' + kazasu::station_rfc3339(st.int64(4), utc_offset_seconds) + "\r\n";
  }
  return out;
}

std::vector<Voter> ElectionStore::voters_born(std::string_view election, std::string_view birth_date) const {
  std::vector<Voter> out;
  Statement st(sql_, sql("SELECT ", " FROM voters WHERE election = ?1 AND version = ?2 AND birth_date = ?3"));
  st.bind(1, election).bind(2, current_roll(election).version).bind(3, birth_date);
  while (st.step()) out.push_back(voter_from(st, 0));
  return out;
}

int64_t ElectionStore::electorate(std::string_view election, std::string_view station,
                                  std::string_view district) const {
  Statement st(sql_,
               "SELECT COUNT(*) FROM voters WHERE election = ?1 AND version = ?2 AND (?3 = '' OR station = ?3)"
               " AND (?4 = '' OR district = ?4)");
  // An empty view may have no data pointer, which SQLite would bind as NULL.
  st.bind(1, election).bind(2, current_roll(election).version).bind(3, std::string(station));
  st.bind(4, std::string(district));
  return st.step() ? st.int64(0) : 0;
}

std::map<std::string, int64_t> ElectionStore::districts(std::string_view election) const {
  std::map<std::string, int64_t> out;
  Statement st(sql_, "SELECT district, COUNT(*) FROM voters WHERE election = ?1 AND version = ?2 GROUP BY district");
  st.bind(1, election).bind(2, current_roll(election).version);
  while (st.step()) out[st.text(0)] = st.int64(1);
  return out;
}

bool ElectionStore::Staged::has(int64_t part) const {
  return std::find(numbers.begin(), numbers.end(), part) != numbers.end();
}

ElectionStore::Staged ElectionStore::staged_parts(std::string_view election, std::string_view upload) const {
  Staged s;
  Statement st(sql_,
               "SELECT part, parts, length(CAST(csv AS BLOB)) FROM roll_parts WHERE election = ?1 AND upload = ?2");
  st.bind(1, election).bind(2, upload);
  while (st.step()) {
    s.numbers.push_back(st.int64(0));
    s.parts = st.int64(1);
    ++s.count;
    s.bytes += st.int64(2);
  }
  return s;
}

void ElectionStore::put_part(std::string_view election, std::string_view upload, int64_t part, int64_t parts,
                             std::string_view csv, int64_t now_ms) {
  // A part sent again replaces itself (a retry after a lost reply).
  Statement st(sql_,
               "INSERT INTO roll_parts (election, upload, part, parts, csv, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
               " ON CONFLICT (election, upload, part) DO UPDATE SET csv = excluded.csv, at_ms = excluded.at_ms");
  st.bind(1, election).bind(2, upload).bind(3, part).bind(4, parts).bind(5, csv).bind(6, now_ms);
  st.run();
}

std::string ElectionStore::joined_parts(std::string_view election, std::string_view upload) const {
  std::string all;
  Statement st(sql_, "SELECT csv FROM roll_parts WHERE election = ?1 AND upload = ?2 ORDER BY part");
  st.bind(1, election).bind(2, upload);
  while (st.step()) all += st.text(0);
  return all;
}

void ElectionStore::drop_parts(std::string_view election, std::string_view upload) {
  Statement st(sql_, "DELETE FROM roll_parts WHERE election = ?1 AND upload = ?2");
  st.bind(1, election).bind(2, upload);
  st.run();
}

void ElectionStore::drop_stale_parts(int64_t before_ms) {
  Statement st(sql_, "DELETE FROM roll_parts WHERE at_ms < ?1");
  st.bind(1, before_ms);
  st.run();
}

void ElectionStore::put_match(const Match& m) {
  Statement st(sql_,
               "INSERT INTO matches (election, voter_number, method, tap_id, at_ms, expires_ms)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (election, voter_number) DO UPDATE SET"
               " method = excluded.method, tap_id = excluded.tap_id, at_ms = excluded.at_ms,"
               " expires_ms = excluded.expires_ms");
  st.bind(1, m.election).bind(2, m.voter_number).bind(3, m.method).bind(4, m.tap_id).bind(5, m.at_ms);
  st.bind(6, m.expires_ms);
  st.run();
}

std::optional<Match> ElectionStore::match(std::string_view election, std::string_view voter_number,
                                          int64_t now_ms) const {
  Statement st(sql_,
               "SELECT method, tap_id, at_ms, expires_ms FROM matches WHERE election = ?1 AND voter_number = ?2"
               " AND expires_ms > ?3");
  st.bind(1, election).bind(2, voter_number).bind(3, now_ms);
  if (!st.step()) return std::nullopt;
  return Match{std::string(election), std::string(voter_number), st.text(0), st.text(1), st.int64(2), st.int64(3)};
}

void ElectionStore::drop_match(std::string_view election, std::string_view voter_number) {
  Statement st(sql_, "DELETE FROM matches WHERE election = ?1 AND voter_number = ?2");
  st.bind(1, election).bind(2, voter_number);
  st.run();
}

void ElectionStore::put_reconciliation(std::string_view election, const Reconciliation& r, int64_t now_ms) {
  Statement st(sql_,
               "INSERT INTO reconciliations (election, day, hour, issued, receptions, at_ms)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (election, day, hour) DO UPDATE SET"
               " issued = excluded.issued, receptions = excluded.receptions, at_ms = excluded.at_ms");
  st.bind(1, election).bind(2, r.day).bind(3, r.hour).bind(4, r.issued).bind(5, r.receptions).bind(6, now_ms);
  st.run();
}

void ElectionStore::close(std::string_view election, int64_t now_ms) {
  Statement st(sql_, "UPDATE elections SET closed_ms = ?2 WHERE id = ?1 AND closed_ms = 0");
  st.bind(1, election).bind(2, now_ms);
  st.run();
  Statement m(sql_, "DELETE FROM matches WHERE election = ?1");
  m.bind(1, election);
  m.run();
  Statement a(sql_, "DELETE FROM arms WHERE election = ?1");
  a.bind(1, election);
  a.run();
}

std::vector<std::string> ElectionStore::received_here(std::string_view election) const {
  std::vector<std::string> out;
  Statement st(sql_, "SELECT voter_number FROM receptions WHERE election = ?1 ORDER BY voter_number");
  st.bind(1, election);
  while (st.step()) out.push_back(st.text(0));
  return out;
}

std::pair<int64_t, int64_t> ElectionStore::purge(std::string_view election, int64_t now_ms) {
  auto count_of = [&](const char* table) {
    Statement st(sql_, std::string("SELECT COUNT(*) FROM ") + table + " WHERE election = ?1");
    st.bind(1, election);
    return st.step() ? st.int64(0) : int64_t{0};
  };
  const std::pair<int64_t, int64_t> gone{count_of("voters"), count_of("receptions")};
  // Children first: voters name their roll version.
  for (const char* table :
       {"voters", "roll_versions", "links", "arms", "matches", "receptions", "counters", "reconciliations"}) {
    Statement st(sql_, std::string("DELETE FROM ") + table + " WHERE election = ?1");
    st.bind(1, election);
    st.run();
  }
  Statement st(sql_, "UPDATE elections SET purged_ms = ?2 WHERE id = ?1");
  st.bind(1, election).bind(2, now_ms);
  st.run();
  return gone;
}

void ElectionStore::count(std::string_view election, std::string_view day, std::string_view counter) {
  Statement st(sql_,
               "INSERT INTO counters (election, day, counter, n) VALUES (?1, ?2, ?3, 1)"
               " ON CONFLICT (election, day, counter) DO UPDATE SET n = n + 1");
  st.bind(1, election).bind(2, day).bind(3, counter);
  st.run();
}

std::map<std::string, int64_t> ElectionStore::counts(std::string_view election, std::string_view day) const {
  std::map<std::string, int64_t> out;
  Statement st(sql_, "SELECT counter, n FROM counters WHERE election = ?1 AND day = ?2");
  st.bind(1, election).bind(2, day);
  while (st.step()) out[st.text(0)] = st.int64(1);
  return out;
}

}  // namespace kazasu::election
