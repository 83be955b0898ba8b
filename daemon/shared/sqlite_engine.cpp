#include "shared/sqlite_engine.hpp"

namespace kazasu::shared {
namespace {

// One transaction: rolled back unless commit() ran.
class Txn {
 public:
  explicit Txn(sqlite::Database& db) : db_(db) { db_.run("BEGIN IMMEDIATE"); }
  ~Txn() {
    if (open_) {
      try {
        db_.run("ROLLBACK");
      } catch (...) {  // the transaction may be gone already
      }
    }
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  void commit() {
    db_.run("COMMIT");
    open_ = false;
  }

 private:
  sqlite::Database& db_;
  bool open_ = true;
};

Record record_of(const sqlite::Statement& st) {
  return Record{st.text(0), st.int64(1), st.text(2), st.int64(3), st.text(4)};
}

constexpr std::string_view kSelect =
    "SELECT value, version, station, at_ms, claim_id FROM kazasu_shared_records WHERE plugin = ? AND key = ?";

}  // namespace

SqliteEngine::SqliteEngine(const std::filesystem::path& file) : db_(file, sqlite::Sync::full) {
  db_.exec(
      "CREATE TABLE IF NOT EXISTS kazasu_shared_records ("
      " plugin TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, version INTEGER NOT NULL,"
      " station TEXT NOT NULL, at_ms INTEGER NOT NULL, claim_id TEXT NOT NULL DEFAULT '',"
      " PRIMARY KEY (plugin, key))");
  db_.exec(
      "CREATE TABLE IF NOT EXISTS kazasu_shared_entries ("
      " plugin TEXT NOT NULL, key TEXT NOT NULL, entry_id TEXT NOT NULL, body TEXT NOT NULL,"
      " amount INTEGER NOT NULL, station TEXT NOT NULL, at_ms INTEGER NOT NULL,"
      " seq INTEGER PRIMARY KEY AUTOINCREMENT, UNIQUE (plugin, key, entry_id))");
  db_.exec(
      "CREATE INDEX IF NOT EXISTS kazasu_shared_claims ON kazasu_shared_records (plugin, station)"
      " WHERE claim_id <> ''");
}

std::optional<Record> SqliteEngine::read(std::string_view plugin, std::string_view key) {
  auto st = db_.cached(kSelect);
  st.bind(1, plugin).bind(2, key);
  if (!st.step()) return std::nullopt;
  return record_of(st);
}

Result SqliteEngine::claim(std::string_view plugin, std::string_view key, std::string_view value,
                           std::string_view claim_id, const Writer& writer) {
  std::lock_guard lock(mutex_);
  try {
    Txn txn(db_);
    if (auto held = read(plugin, key)) {
      txn.commit();
      return Result{Status::exists, std::move(*held), {}};
    }
    db_.cached(
           "INSERT INTO kazasu_shared_records (plugin, key, value, version, station, at_ms, claim_id)"
           " VALUES (?, ?, ?, 1, ?, ?, ?)")
        .bind(1, plugin)
        .bind(2, key)
        .bind(3, value)
        .bind(4, writer.station)
        .bind(5, writer.at_unix_ms)
        .bind(6, claim_id)
        .run();
    txn.commit();
    return Result{
        Status::ok, Record{std::string(value), 1, writer.station, writer.at_unix_ms, std::string(claim_id)}, {}};
  } catch (const std::exception& e) {
    return Result{Status::unavailable, {}, e.what()};
  }
}

Status SqliteEngine::release(std::string_view plugin, std::string_view key, std::string_view claim_id) {
  std::lock_guard lock(mutex_);
  try {
    db_.cached("DELETE FROM kazasu_shared_records WHERE plugin = ? AND key = ? AND claim_id = ?")
        .bind(1, plugin)
        .bind(2, key)
        .bind(3, claim_id)
        .run();
    return sqlite3_changes(db_.handle()) > 0 ? Status::ok : Status::not_found;
  } catch (const std::exception&) {
    return Status::unavailable;
  }
}

Result SqliteEngine::get(std::string_view plugin, std::string_view key) {
  std::lock_guard lock(mutex_);
  try {
    if (auto r = read(plugin, key)) return Result{Status::ok, std::move(*r), {}};
    return Result{Status::not_found, {}, {}};
  } catch (const std::exception& e) {
    return Result{Status::unavailable, {}, e.what()};
  }
}

Result SqliteEngine::put(std::string_view plugin, std::string_view key, std::optional<std::string_view> value,
                         int64_t expected_version, const Writer& writer) {
  std::lock_guard lock(mutex_);
  try {
    Txn txn(db_);
    auto current = read(plugin, key);
    const bool matches = expected_version < 0 || (expected_version == 0 && !current) ||
                         (current && current->version == expected_version);
    if (!matches) {
      txn.commit();
      if (!current) return Result{Status::not_found, {}, {}};
      return Result{Status::conflict, std::move(*current), {}};
    }
    if (!value) {
      if (!current) {
        txn.commit();
        return Result{Status::not_found, {}, {}};
      }
      db_.cached("DELETE FROM kazasu_shared_records WHERE plugin = ? AND key = ?").bind(1, plugin).bind(2, key).run();
      txn.commit();
      return Result{Status::ok, std::move(*current), {}};
    }
    const int64_t version = current ? current->version + 1 : 1;
    db_.cached(
           "INSERT INTO kazasu_shared_records (plugin, key, value, version, station, at_ms, claim_id)"
           " VALUES (?, ?, ?, ?, ?, ?, '') ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value,"
           " version = excluded.version, station = excluded.station, at_ms = excluded.at_ms, claim_id = ''")
        .bind(1, plugin)
        .bind(2, key)
        .bind(3, *value)
        .bind(4, version)
        .bind(5, writer.station)
        .bind(6, writer.at_unix_ms)
        .run();
    txn.commit();
    return Result{Status::ok, Record{std::string(*value), version, writer.station, writer.at_unix_ms, {}}, {}};
  } catch (const std::exception& e) {
    return Result{Status::unavailable, {}, e.what()};
  }
}

Status SqliteEngine::append(std::string_view plugin, std::string_view key, const Entry& entry) {
  std::lock_guard lock(mutex_);
  try {
    Txn txn(db_);
    auto st =
        db_.cached("SELECT body, amount FROM kazasu_shared_entries WHERE plugin = ? AND key = ? AND entry_id = ?");
    st.bind(1, plugin).bind(2, key).bind(3, entry.entry_id);
    if (st.step()) {
      const bool same = st.text(0) == entry.body && st.int64(1) == entry.amount;
      txn.commit();
      return same ? Status::exists : Status::conflict;
    }
    db_.cached(
           "INSERT INTO kazasu_shared_entries (plugin, key, entry_id, body, amount, station, at_ms)"
           " VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(1, plugin)
        .bind(2, key)
        .bind(3, entry.entry_id)
        .bind(4, entry.body)
        .bind(5, entry.amount)
        .bind(6, entry.station)
        .bind(7, entry.at_unix_ms)
        .run();
    txn.commit();
    return Status::ok;
  } catch (const std::exception&) {
    return Status::unavailable;
  }
}

Entries SqliteEngine::entries(std::string_view plugin, std::string_view key, size_t limit) {
  std::lock_guard lock(mutex_);
  Entries out;
  try {
    auto st = db_.cached(
        "SELECT entry_id, body, amount, station, at_ms FROM kazasu_shared_entries WHERE plugin = ? AND key = ?"
        " ORDER BY seq DESC LIMIT ?");
    st.bind(1, plugin).bind(2, key).bind(3, static_cast<int64_t>(std::min(limit, kMaxEntries)));
    while (st.step()) out.entries.push_back(Entry{st.text(0), st.text(1), st.int64(2), st.text(3), st.int64(4)});
    auto sum =
        db_.cached("SELECT coalesce(sum(amount), 0), count(*) FROM kazasu_shared_entries WHERE plugin = ? AND key = ?");
    sum.bind(1, plugin).bind(2, key);
    if (sum.step()) {
      out.sum = sum.int64(0);
      out.count = sum.int64(1);
    }
    out.status = Status::ok;
  } catch (const std::exception& e) {
    out = Entries{Status::unavailable, {}, 0, 0, e.what()};
  }
  return out;
}

std::optional<std::set<std::string>> SqliteEngine::held_ids(std::string_view plugin, std::string_view key,
                                                            const std::vector<std::string>& ids) {
  std::lock_guard lock(mutex_);
  std::set<std::string> held;
  try {
    auto st = db_.cached("SELECT 1 FROM kazasu_shared_entries WHERE plugin = ? AND key = ? AND entry_id = ?");
    for (const auto& id : ids) {
      st.bind(1, plugin).bind(2, key).bind(3, id);
      if (st.step()) held.insert(id);
      st.reset();
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return held;
}

std::optional<std::vector<HeldClaim>> SqliteEngine::claims_of(std::string_view plugin, std::string_view station) {
  std::lock_guard lock(mutex_);
  std::vector<HeldClaim> out;
  try {
    auto st = db_.cached(
        "SELECT key, claim_id, at_ms FROM kazasu_shared_records WHERE plugin = ? AND station = ? AND claim_id <> ''");
    st.bind(1, plugin).bind(2, station);
    while (st.step()) out.push_back(HeldClaim{st.text(0), st.text(1), st.int64(2)});
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return out;
}

}  // namespace kazasu::shared
