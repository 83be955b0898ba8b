#include "shared/pg_engine.hpp"

#include "shared/libpq.hpp"

#include <poll.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <utility>

namespace kazasu::shared {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxOrphans = 4096;
constexpr auto kOrphanLife = std::chrono::minutes(2);

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits until the socket is readable or writable, or the deadline passes.
bool wait_socket(int fd, bool for_write, Clock::time_point deadline) {
  pollfd p{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  while (true) {
    const int left = remaining_ms(deadline);
    if (left == 0) return false;
    const int rc = ::poll(&p, 1, left);
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

int64_t to_int64(const char* s) {
  int64_t v = 0;
  if (s != nullptr) std::from_chars(s, s + std::char_traits<char>::length(s), v);
  return v;
}

// Schema version 1. Creating it takes an advisory lock, so stations that
// start together do not race on CREATE IF NOT EXISTS.
constexpr const char* kMigrate =
    "BEGIN;"
    "SELECT pg_advisory_xact_lock(7305432107);"
    "CREATE SCHEMA IF NOT EXISTS kazasu;"
    "CREATE TABLE IF NOT EXISTS kazasu.schema_version (version integer NOT NULL);"
    "INSERT INTO kazasu.schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM kazasu.schema_version);"
    "CREATE TABLE IF NOT EXISTS kazasu.shared_records ("
    " plugin text NOT NULL, key text NOT NULL, value text NOT NULL, version bigint NOT NULL,"
    " station text NOT NULL, at_ms bigint NOT NULL, claim_id text NOT NULL DEFAULT '',"
    " PRIMARY KEY (plugin, key));"
    "CREATE INDEX IF NOT EXISTS shared_records_claims ON kazasu.shared_records (plugin, station)"
    " WHERE claim_id <> '';"
    "CREATE TABLE IF NOT EXISTS kazasu.shared_entries ("
    " plugin text NOT NULL, key text NOT NULL, entry_id text NOT NULL, body text NOT NULL,"
    " amount bigint NOT NULL, station text NOT NULL, at_ms bigint NOT NULL, seq bigserial,"
    " PRIMARY KEY (plugin, key, entry_id));"
    "CREATE INDEX IF NOT EXISTS shared_entries_seq ON kazasu.shared_entries (plugin, key, seq);"
    "UPDATE kazasu.schema_version SET version = 1 WHERE version < 1;"
    "COMMIT;";

}  // namespace

class PgEngine::Rows {
 public:
  explicit Rows(PGresult* r) : r_(r) {}
  ~Rows() { libpq().PQclear(r_); }
  Rows(Rows&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
  Rows& operator=(Rows&& o) noexcept {
    if (this != &o) {
      libpq().PQclear(r_);
      r_ = std::exchange(o.r_, nullptr);
    }
    return *this;
  }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  [[nodiscard]] int count() const { return libpq().PQntuples(r_); }
  [[nodiscard]] std::string text(int row, int col) const {
    return std::string(libpq().PQgetvalue(r_, row, col), static_cast<size_t>(libpq().PQgetlength(r_, row, col)));
  }
  [[nodiscard]] int64_t int64(int row, int col) const { return to_int64(libpq().PQgetvalue(r_, row, col)); }
  [[nodiscard]] Record record(int row) const {
    return Record{text(row, 0), int64(row, 1), text(row, 2), int64(row, 3), text(row, 4)};
  }

 private:
  PGresult* r_;
};

class PgEngine::Connection {
 public:
  explicit Connection(PGconn* c) : c_(c) {}
  ~Connection() { libpq().PQfinish(c_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /** Connects within the deadline; nullptr and `error` otherwise. */
  static std::unique_ptr<Connection> open(const std::string& conninfo, Clock::time_point deadline, std::string& error) {
    auto c = std::make_unique<Connection>(libpq().PQconnectStart(conninfo.c_str()));
    if (c->c_ == nullptr) {
      error = "out of memory";
      return nullptr;
    }
    if (libpq().PQstatus(c->c_) == CONNECTION_BAD) {
      error = libpq().PQerrorMessage(c->c_);
      return nullptr;
    }
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK) {
      if (st == PGRES_POLLING_FAILED) {
        error = libpq().PQerrorMessage(c->c_);
        return nullptr;
      }
      if (!wait_socket(libpq().PQsocket(c->c_), st == PGRES_POLLING_WRITING, deadline)) {
        error = "no answer from PostgreSQL within the deadline";
        return nullptr;
      }
      st = libpq().PQconnectPoll(c->c_);
    }
    libpq().PQsetnonblocking(c->c_, 1);
    // The migration's "already exists, skipping" notices would reach stderr
    // as unprefixed lines; nothing PostgreSQL notices here needs staff.
    libpq().PQsetNoticeProcessor(
        c->c_, [](void*, const char*) {}, nullptr);
    return c;
  }

  /**
   * Runs `sql` (one statement with $n parameters, or, without parameters,
   * several) within the deadline; the last result, or nullopt with `error`.
   * After a failure the connection must not be reused.
   */
  std::optional<Rows> exec(const char* sql, std::initializer_list<std::string_view> params, Clock::time_point deadline,
                           std::string& error) {
    std::vector<std::string> values(params.begin(), params.end());  // NUL-terminated copies
    std::vector<const char*> ptrs;
    ptrs.reserve(values.size());
    for (const auto& v : values) ptrs.push_back(v.c_str());
    const int sent = values.empty() ? libpq().PQsendQuery(c_, sql)
                                    : libpq().PQsendQueryParams(c_, sql, static_cast<int>(ptrs.size()), nullptr,
                                                                ptrs.data(), nullptr, nullptr, 0);
    if (sent == 0) return fail(error);
    while (true) {
      const int flushed = libpq().PQflush(c_);
      if (flushed == 0) break;
      if (flushed < 0 || !wait_socket(libpq().PQsocket(c_), true, deadline)) return timeout(error, flushed < 0);
    }
    std::optional<Rows> last;
    std::string statement_error;
    while (true) {
      while (libpq().PQisBusy(c_) != 0) {
        if (!wait_socket(libpq().PQsocket(c_), false, deadline)) return timeout(error, false);
        if (libpq().PQconsumeInput(c_) == 0) return fail(error);
      }
      PGresult* r = libpq().PQgetResult(c_);
      if (r == nullptr) break;
      const ExecStatusType status = libpq().PQresultStatus(r);
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && statement_error.empty()) {
        statement_error = libpq().PQresultErrorMessage(r);
      }
      last.emplace(r);
    }
    if (!statement_error.empty()) {
      error = statement_error;
      broken_ = true;  // conservative: a failed statement may leave a transaction open
      return std::nullopt;
    }
    if (!last) {
      error = "PostgreSQL sent no result";
      broken_ = true;
      return std::nullopt;
    }
    return last;
  }

  [[nodiscard]] bool usable() const { return !broken_ && libpq().PQstatus(c_) == CONNECTION_OK; }

 private:
  std::optional<Rows> fail(std::string& error) {
    error = libpq().PQerrorMessage(c_);
    broken_ = true;
    return std::nullopt;
  }
  std::optional<Rows> timeout(std::string& error, bool failed) {
    error = failed ? std::string(libpq().PQerrorMessage(c_)) : "no answer from PostgreSQL within the deadline";
    broken_ = true;
    return std::nullopt;
  }
  PGconn* c_;
  bool broken_ = false;
};

PgEngine::PgEngine(Options options) : options_(std::move(options)) {
  libpq();  // a station without libpq5 fails at start, saying so, not at its first tap
}

PgEngine::~PgEngine() = default;

std::unique_ptr<PgEngine::Connection> PgEngine::take(Clock::time_point deadline, std::string& error) {
  std::unique_ptr<Connection> c;
  bool migrated = false;
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
    }
    migrated = migrated_;
  }
  if (!c) c = Connection::open(options_.conninfo, deadline, error);
  if (!c) return nullptr;
  if (!migrated) {
    if (!c->exec(kMigrate, {}, deadline, error)) return nullptr;
    std::lock_guard lock(mutex_);
    migrated_ = true;
  }
  release_orphans(*c, deadline);
  return c;
}

void PgEngine::give(std::unique_ptr<Connection> c) {
  if (!c || !c->usable()) return;
  std::lock_guard lock(mutex_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(c));
}

void PgEngine::add_orphan(std::string_view plugin, std::string_view key, std::string_view claim_id) {
  std::lock_guard lock(mutex_);
  if (orphans_.size() >= kMaxOrphans) return;
  const auto now = Clock::now();
  orphans_.push_back(Orphan{std::string(plugin), std::string(key), std::string(claim_id), now, now + kOrphanLife});
}

void PgEngine::release_orphans(Connection& c, Clock::time_point deadline) {
  std::vector<Orphan> due;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    for (auto it = orphans_.begin(); it != orphans_.end();) {
      if (it->next_try <= now) {
        due.push_back(std::move(*it));
        it = orphans_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::vector<Orphan> keep;
  for (auto& o : due) {
    std::string error;
    auto rows = c.exec("DELETE FROM kazasu.shared_records WHERE plugin = $1 AND key = $2 AND claim_id = $3 RETURNING 1",
                       {o.plugin, o.key, o.claim_id}, deadline, error);
    const auto now = Clock::now();
    if (rows && rows->count() > 0) continue;  // released
    if (now >= o.expires) continue;           // never arrived
    o.next_try = now + std::chrono::seconds(1);
    keep.push_back(std::move(o));
    if (!rows) break;  // the connection is gone; the rest wait too
  }
  std::lock_guard lock(mutex_);
  for (auto& o : keep) orphans_.push_back(std::move(o));
}

Result PgEngine::read(Connection& c, std::string_view plugin, std::string_view key, Clock::time_point deadline) {
  std::string error;
  auto rows = c.exec(
      "SELECT value, version, station, at_ms, claim_id FROM kazasu.shared_records"
      " WHERE plugin = $1 AND key = $2",
      {plugin, key}, deadline, error);
  if (!rows) return Result{Status::unavailable, {}, error};
  if (rows->count() == 0) return Result{Status::not_found, {}, {}};
  return Result{Status::ok, rows->record(0), {}};
}

Result PgEngine::claim(std::string_view plugin, std::string_view key, std::string_view value, std::string_view claim_id,
                       const Writer& writer) {
  const auto deadline = Clock::now() + options_.deadline;
  std::string error;
  auto c = take(deadline, error);
  if (!c) return Result{Status::unavailable, {}, error};
  const std::string at = std::to_string(writer.at_unix_ms);
  // A holder that is released between our insert and our read: try again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto rows = c->exec(
        "INSERT INTO kazasu.shared_records (plugin, key, value, version, station, at_ms, claim_id)"
        " VALUES ($1, $2, $3, 1, $4, $5, $6) ON CONFLICT (plugin, key) DO NOTHING"
        " RETURNING value, version, station, at_ms, claim_id",
        {plugin, key, value, writer.station, at, claim_id}, deadline, error);
    if (!rows) {
      // The insert may have happened with its answer lost: release it once we can.
      add_orphan(plugin, key, claim_id);
      return Result{Status::unavailable, {}, error};
    }
    if (rows->count() == 1) {
      Result r{Status::ok, rows->record(0), {}};
      give(std::move(c));
      return r;
    }
    // Someone holds it. Its row may have committed after our statement's
    // snapshot, so it is read in a statement of its own.
    Result held = read(*c, plugin, key, deadline);
    if (held.status == Status::ok) {
      held.status = Status::exists;
      give(std::move(c));
      return held;
    }
    if (held.status == Status::unavailable) return held;
  }
  give(std::move(c));
  return Result{Status::unavailable, {}, "the key changed hands three times during one claim"};
}

Status PgEngine::release(std::string_view plugin, std::string_view key, std::string_view claim_id) {
  const auto deadline = Clock::now() + options_.deadline;
  std::string error;
  auto c = take(deadline, error);
  if (c) {
    auto rows =
        c->exec("DELETE FROM kazasu.shared_records WHERE plugin = $1 AND key = $2 AND claim_id = $3 RETURNING 1",
                {plugin, key, claim_id}, deadline, error);
    if (rows) {
      const Status s = rows->count() > 0 ? Status::ok : Status::not_found;
      give(std::move(c));
      return s;
    }
  }
  add_orphan(plugin, key, claim_id);
  return Status::unavailable;
}

Result PgEngine::get(std::string_view plugin, std::string_view key) {
  const auto deadline = Clock::now() + options_.deadline;
  std::string error;
  auto c = take(deadline, error);
  if (!c) return Result{Status::unavailable, {}, error};
  Result r = read(*c, plugin, key, deadline);
  give(std::move(c));
  return r;
}

Result PgEngine::put(std::string_view plugin, std::string_view key, std::optional<std::string_view> value,
                     int64_t expected_version, const Writer& writer) {
  const auto deadline = Clock::now() + options_.deadline;
  std::string error;
  auto c = take(deadline, error);
  if (!c) return Result{Status::unavailable, {}, error};
  const std::string at = std::to_string(writer.at_unix_ms);
  const std::string expected = std::to_string(expected_version);
  std::optional<Rows> rows;
  if (value && expected_version < 0) {
    rows = c->exec(
        "INSERT INTO kazasu.shared_records AS r (plugin, key, value, version, station, at_ms, claim_id)"
        " VALUES ($1, $2, $3, 1, $4, $5, '') ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value,"
        " version = r.version + 1, station = excluded.station, at_ms = excluded.at_ms, claim_id = ''"
        " RETURNING value, version, station, at_ms, claim_id",
        {plugin, key, *value, writer.station, at}, deadline, error);
  } else if (value && expected_version == 0) {
    rows = c->exec(
        "INSERT INTO kazasu.shared_records (plugin, key, value, version, station, at_ms, claim_id)"
        " VALUES ($1, $2, $3, 1, $4, $5, '') ON CONFLICT (plugin, key) DO NOTHING"
        " RETURNING value, version, station, at_ms, claim_id",
        {plugin, key, *value, writer.station, at}, deadline, error);
  } else if (value) {
    rows = c->exec(
        "UPDATE kazasu.shared_records SET value = $3, version = version + 1, station = $4, at_ms = $5,"
        " claim_id = '' WHERE plugin = $1 AND key = $2 AND version = $6"
        " RETURNING value, version, station, at_ms, claim_id",
        {plugin, key, *value, writer.station, at, expected}, deadline, error);
  } else if (expected_version < 0) {
    rows = c->exec(
        "DELETE FROM kazasu.shared_records WHERE plugin = $1 AND key = $2"
        " RETURNING value, version, station, at_ms, claim_id",
        {plugin, key}, deadline, error);
  } else {
    rows = c->exec(
        "DELETE FROM kazasu.shared_records WHERE plugin = $1 AND key = $2 AND version = $3"
        " RETURNING value, version, station, at_ms, claim_id",
        {plugin, key, expected}, deadline, error);
  }
  if (!rows) return Result{Status::unavailable, {}, error};
  if (rows->count() == 1) {
    Result r{Status::ok, rows->record(0), {}};
    give(std::move(c));
    return r;
  }
  // Nothing matched: tell the caller what is there now.
  Result current = read(*c, plugin, key, deadline);
  give(std::move(c));
  if (current.status == Status::ok) current.status = Status::conflict;
  return current;
}

Status PgEngine::append(std::string_view plugin, std::string_view key, const Entry& entry) {
  const auto deadline = Clock::now() + options_.deadline;
  std::string error;
  auto c = take(deadline, error);
  if (!c) return Status::unavailable;
  const std::string amount = std::to_string(entry.amount);
  const std::string at = std::to_string(entry.at_unix_ms);
  auto rows = c->exec(
      "INSERT INTO kazasu.shared_entries (plugin, key, entry_id, body, amount, station, at_ms)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (plugin, key, entry_id) DO NOTHING RETURNING 1",
      {plugin, key, entry.entry_id, entry.body, amount, entry.station, at}, deadline, error);
  if (!rows) return Status::unavailable;
  if (rows->count() == 1) {
    give(std::move(c));
    return Status::ok;
  }
  auto same = c->exec(
      "SELECT body = $4 AND amount = $5 FROM kazasu.shared_entries WHERE plugin = $1 AND key = $2 AND entry_id = $3",
      {plugin, key, entry.entry_id, entry.body, amount}, deadline, error);
  if (!same) return Status::unavailable;
  const Status s = same->count() == 1 && same->text(0, 0) == "t" ? Status::exists : Status::conflict;
  give(std::move(c));
  return s;
}

Entries PgEngine::entries(std::string_view plugin, std::string_view key, size_t limit) {
  const auto deadline = Clock::now() + options_.deadline;
  std::string error;
  auto c = take(deadline, error);
  if (!c) return Entries{Status::unavailable, {}, 0, 0, error};
  const std::string n = std::to_string(std::min(limit, kMaxEntries));
  auto rows = c->exec(
      "SELECT entry_id, body, amount, station, at_ms FROM kazasu.shared_entries WHERE plugin = $1 AND key = $2"
      " ORDER BY seq DESC LIMIT $3",
      {plugin, key, n}, deadline, error);
  if (!rows) return Entries{Status::unavailable, {}, 0, 0, error};
  auto totals =
      c->exec("SELECT coalesce(sum(amount), 0), count(*) FROM kazasu.shared_entries WHERE plugin = $1 AND key = $2",
              {plugin, key}, deadline, error);
  if (!totals) return Entries{Status::unavailable, {}, 0, 0, error};
  Entries out{Status::ok, {}, totals->int64(0, 0), totals->int64(0, 1), {}};
  for (int i = 0; i < rows->count(); ++i) {
    out.entries.push_back(
        Entry{rows->text(i, 0), rows->text(i, 1), rows->int64(i, 2), rows->text(i, 3), rows->int64(i, 4)});
  }
  give(std::move(c));
  return out;
}

std::optional<std::set<std::string>> PgEngine::held_ids(std::string_view plugin, std::string_view key,
                                                        const std::vector<std::string>& ids) {
  const auto deadline = Clock::now() + options_.deadline;
  std::string error;
  auto c = take(deadline, error);
  if (!c) return std::nullopt;
  std::set<std::string> held;
  for (const auto& id : ids) {
    auto rows = c->exec("SELECT 1 FROM kazasu.shared_entries WHERE plugin = $1 AND key = $2 AND entry_id = $3",
                        {plugin, key, id}, deadline, error);
    if (!rows) return std::nullopt;
    if (rows->count() > 0) held.insert(id);
  }
  give(std::move(c));
  return held;
}

std::optional<std::vector<HeldClaim>> PgEngine::claims_of(std::string_view plugin, std::string_view station) {
  const auto deadline = Clock::now() + options_.deadline;
  std::string error;
  auto c = take(deadline, error);
  if (!c) return std::nullopt;
  auto rows = c->exec(
      "SELECT key, claim_id, at_ms FROM kazasu.shared_records WHERE plugin = $1 AND station = $2 AND claim_id <> ''",
      {plugin, station}, deadline, error);
  if (!rows) return std::nullopt;
  std::vector<HeldClaim> out;
  out.reserve(static_cast<size_t>(rows->count()));
  for (int i = 0; i < rows->count(); ++i) {
    out.push_back(HeldClaim{rows->text(i, 0), rows->text(i, 1), rows->int64(i, 2)});
  }
  give(std::move(c));
  return out;
}

}  // namespace kazasu::shared
