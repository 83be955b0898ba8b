#include "election_store.hpp"

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
};

Voter voter_from(const Statement& st, int first) {
  return Voter{st.text(first),     st.text(first + 1), st.text(first + 2), st.text(first + 3),
               st.text(first + 4), st.text(first + 5), st.text(first + 6), st.text(first + 7)};
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
  Statement st(db_, "SELECT id, name, early_start, early_end, election_day FROM elections WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  Election e{st.text(0), st.text(1), st.text(2), st.text(3), st.text(4), {}};
  Statement ss(
      db_, "SELECT station, early_voting, election_day FROM election_stations WHERE election = ?1 ORDER BY station");
  ss.bind(1, id);
  while (ss.step()) e.stations.push_back(StationEntry{ss.text(0), ss.int64(1) != 0, ss.int64(2) != 0});
  return e;
}

void ElectionStore::add_election(const Election& e, int64_t now_ms) {
  Statement st(db_,
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
    Statement st(db_,
                 "SELECT e.id FROM elections e JOIN election_stations s ON s.election = e.id"
                 " WHERE s.station = ?1 AND ?2 BETWEEN e.early_start AND e.election_day ORDER BY e.opened_ms, e.id");
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
  Statement st(db_,
               "SELECT version, voters, imported_ms FROM roll_versions WHERE election = ?1"
               " ORDER BY version DESC LIMIT 1");
  st.bind(1, election);
  if (!st.step()) return RollVersion{};
  return RollVersion{st.int64(0), st.int64(1), st.int64(2)};
}

RollDiff ElectionStore::diff(std::string_view election, const std::vector<Voter>& voters) const {
  const int64_t version = current_roll(election).version;
  std::map<std::string, Voter> old;
  Statement st(db_,
               "SELECT voter_number, name_kanji, name_kana, birth_date, sex, district, station, note"
               " FROM voters WHERE election = ?1 AND version = ?2");
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
  Statement rv(db_,
               "INSERT INTO roll_versions (election, version, imported_ms, command_id, voters, added, removed, changed)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  rv.bind(1, election).bind(2, version).bind(3, now_ms).bind(4, command_id);
  rv.bind(5, static_cast<int64_t>(voters.size())).bind(6, d.added).bind(7, d.removed).bind(8, d.changed);
  rv.run();
  for (const auto& v : voters) {
    Statement one(db_,
                  "INSERT INTO voters (election, version, voter_number, name_kanji, name_kana, birth_date, sex,"
                  " district, station, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    one.bind(1, election).bind(2, version).bind(3, v.voter_number).bind(4, v.name_kanji).bind(5, v.name_kana);
    one.bind(6, v.birth_date).bind(7, v.sex).bind(8, v.district).bind(9, v.station).bind(10, v.note);
    one.run();
  }
  return version;
}

std::optional<Voter> ElectionStore::voter(std::string_view election, std::string_view voter_number) const {
  const int64_t version = current_roll(election).version;
  Statement st(db_,
               "SELECT voter_number, name_kanji, name_kana, birth_date, sex, district, station, note"
               " FROM voters WHERE election = ?1 AND version = ?2 AND voter_number = ?3");
  st.bind(1, election).bind(2, version).bind(3, voter_number);
  if (!st.step()) return std::nullopt;
  return voter_from(st, 0);
}

std::optional<std::string> ElectionStore::voter_of(std::string_view election, std::string_view token) const {
  Statement st(db_, "SELECT voter_number FROM links WHERE election = ?1 AND token = ?2");
  st.bind(1, election).bind(2, token);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

bool ElectionStore::has_link(std::string_view election, std::string_view voter_number) const {
  Statement st(db_, "SELECT 1 FROM links WHERE election = ?1 AND voter_number = ?2");
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
  Statement st(db_,
               "INSERT INTO links (election, voter_number, token, linked_ms) VALUES (?1, ?2, ?3, ?4)"
               " ON CONFLICT (election, voter_number) DO UPDATE SET token = excluded.token,"
               " linked_ms = excluded.linked_ms");
  st.bind(1, election).bind(2, voter_number).bind(3, token).bind(4, now_ms);
  st.run();
  return true;
}

void ElectionStore::arm(const Arm& a) {
  // One arm per voter: arming another reader for the same voter moves it.
  Statement del(db_, "DELETE FROM arms WHERE election = ?1 AND voter_number = ?2");
  del.bind(1, a.election).bind(2, a.voter_number);
  del.run();
  Statement st(db_,
               "INSERT INTO arms (reader, election, voter_number, expires_ms) VALUES (?1, ?2, ?3, ?4)"
               " ON CONFLICT (reader) DO UPDATE SET election = excluded.election,"
               " voter_number = excluded.voter_number, expires_ms = excluded.expires_ms");
  st.bind(1, a.reader).bind(2, a.election).bind(3, a.voter_number).bind(4, a.expires_ms);
  st.run();
}

std::optional<Arm> ElectionStore::active_arm(std::string_view reader, int64_t now_ms) {
  Statement gone(db_, "DELETE FROM arms WHERE expires_ms <= ?1");
  gone.bind(1, now_ms);
  gone.run();
  Statement st(db_, "SELECT reader, election, voter_number, expires_ms FROM arms WHERE reader = ?1");
  st.bind(1, reader);
  if (!st.step()) return std::nullopt;
  return Arm{st.text(0), st.text(1), st.text(2), st.int64(3)};
}

void ElectionStore::disarm(std::string_view reader) {
  Statement st(db_, "DELETE FROM arms WHERE reader = ?1");
  st.bind(1, reader);
  st.run();
}

std::optional<Reception> ElectionStore::reception(std::string_view election, std::string_view voter_number) const {
  Statement st(db_, "SELECT day, at_ms, kind FROM receptions WHERE election = ?1 AND voter_number = ?2");
  st.bind(1, election).bind(2, voter_number);
  if (!st.step()) return std::nullopt;
  return Reception{st.text(0), st.int64(1), st.text(2)};
}

void ElectionStore::add_reception(std::string_view election, std::string_view voter_number, const Reception& r,
                                  int64_t roll_version, std::string_view tap_id) {
  Statement st(db_,
               "INSERT INTO receptions (election, voter_number, day, at_ms, kind, roll_version, tap_id)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  st.bind(1, election).bind(2, voter_number).bind(3, r.day).bind(4, r.at_ms).bind(5, r.kind);
  st.bind(6, roll_version).bind(7, tap_id);
  st.run();
}

ElectionStore::DayCounts ElectionStore::reception_counts(std::string_view election, std::string_view day,
                                                         int32_t utc_offset_seconds) const {
  DayCounts c;
  Statement st(db_,
               "SELECT r.kind, v.sex, r.at_ms FROM receptions r LEFT JOIN voters v ON v.election = r.election"
               " AND v.version = r.roll_version AND v.voter_number = r.voter_number"
               " WHERE r.election = ?1 AND r.day = ?2");
  st.bind(1, election).bind(2, day);
  while (st.step()) {
    ++c.total;
    (st.text(0) == "early" ? c.early : c.election_day) += 1;
    const std::string sex = st.text(1);
    if (sex == "1") ++c.male;
    if (sex == "2") ++c.female;
    const int64_t local = st.int64(2) + static_cast<int64_t>(utc_offset_seconds) * 1000;
    const int64_t hour = (local - kazasu::station_day_number(st.int64(2), utc_offset_seconds) * kMsPerDay) / 3600000;
    char h[8];
    std::snprintf(h, sizeof h, "%02d", static_cast<int>(hour));
    ++c.by_hour[h];
  }
  return c;
}

void ElectionStore::count(std::string_view election, std::string_view day, std::string_view counter) {
  Statement st(db_,
               "INSERT INTO counters (election, day, counter, n) VALUES (?1, ?2, ?3, 1)"
               " ON CONFLICT (election, day, counter) DO UPDATE SET n = n + 1");
  st.bind(1, election).bind(2, day).bind(3, counter);
  st.run();
}

std::map<std::string, int64_t> ElectionStore::counts(std::string_view election, std::string_view day) const {
  std::map<std::string, int64_t> out;
  Statement st(db_, "SELECT counter, n FROM counters WHERE election = ?1 AND day = ?2");
  st.bind(1, election).bind(2, day);
  while (st.step()) out[st.text(0)] = st.int64(1);
  return out;
}

}  // namespace kazasu::election
