#include "audit/audit_log.hpp"

#include <openssl/crypto.h>
#include <unistd.h>

#include <stdexcept>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "outbox/sqlite.hpp"

#ifndef KAZASU_VERSION
#define KAZASU_VERSION "0.0.0"
#endif

namespace kazasu {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS audit_log ("
    " seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, kind TEXT NOT NULL, fields TEXT NOT NULL,"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;";

void exec(sqlite3* db, const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string what = msg != nullptr ? msg : "unknown error";
    sqlite3_free(msg);
    throw sqlite::SqliteError(what, sqlite3_extended_errcode(db));
  }
}

// Compact JSON with sorted keys (nlohmann::json keeps objects sorted), bytes
// that are not UTF-8 replaced, and at most kMaxFieldsBytes.
std::string fields_text(std::string_view kind, const nlohmann::json& fields) {
  const nlohmann::json& obj = fields.is_object() ? fields : nlohmann::json::object();
  std::string text = obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > AuditLog::kMaxFieldsBytes) {
    log::warning("audit row fields too large; recorded as their size", "kind", kind, "bytes", text.size());
    text = nlohmann::json{{"truncated", true}, {"bytes", text.size()}}.dump();
  }
  return text;
}

bool is_token(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// The process's audit log; destroyed (with a `stop` row) when the process exits.
struct ProcessLog {
  std::mutex mutex;
  std::shared_ptr<AuditLog> log;
  std::filesystem::path dir;
  ~ProcessLog() {
    std::shared_ptr<AuditLog> closing;
    {
      std::lock_guard lock(mutex);
      closing = std::move(log);
    }
    if (closing) closing->append("stop", {{"pid", ::getpid()}});
  }
};

ProcessLog& process_log() {
  // OpenSSL cleans up in an atexit handler; initialised first, that handler
  // runs after this log's destructor, which still hashes the `stop` row.
  static const bool openssl = OPENSSL_init_crypto(OPENSSL_INIT_ADD_ALL_DIGESTS, nullptr) == 1;
  static ProcessLog p;
  (void)openssl;
  return p;
}

std::shared_ptr<AuditLog> current() {
  ProcessLog& p = process_log();
  std::lock_guard lock(p.mutex);
  return p.log;
}

}  // namespace

AuditLog::AuditLog(const std::filesystem::path& file) : file_(file) {
  // The writer's own connection, used by the writer thread only: WAL, FULL sync.
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    const std::string what = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close_v2(db_);
    throw std::runtime_error("audit log " + file.string() + ": " + what);
  }
  try {
    sqlite3_busy_timeout(db_, 5000);
    exec(db_, "PRAGMA journal_mode=WAL");
    exec(db_, "PRAGMA synchronous=FULL");
    exec(db_, kSchema);
    sqlite::Statement last(db_, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
    if (last.step()) {
      last_seq_ = last.int64(0);
      last_hash_ = last.text(1);
    } else {
      last_hash_ = std::string(audit::kGenesisHash);
    }
  } catch (const std::exception& e) {
    sqlite3_close_v2(db_);
    throw std::runtime_error("audit log " + file.string() + ": " + e.what());
  }
  writer_ = std::thread([this] { run(); });
}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
  log::info("audit log closed", "file", file_.string(), "seq", last_seq_, "hash", last_hash_);
  sqlite3_close_v2(db_);
}

bool AuditLog::append(std::string_view kind, const nlohmann::json& fields) {
  if (!is_token(kind)) {
    log::error("audit row refused: its kind is not a token", "kind", kind.substr(0, 64));
    return false;
  }
  std::string text = fields_text(kind, fields);
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() < kMaxQueued && !stopping_) {
      // The stamp is taken under the lock, so row order and time order agree.
      queue_.push_back(Pending{clock::now_unix_ms(), std::string(kind), std::move(text)});
      ++queued_total_;
      wake_.notify_one();
      return true;
    }
    ++dropped_;
    ++dropped_unreported_;
  }
  // The log's own limit keeps this to 50 lines in 10 s, then a count.
  log::error("audit row dropped: the audit writer is behind", "kind", kind, "limit", kMaxQueued);
  return false;
}

bool AuditLog::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const uint64_t target = queued_total_;
  return written_.wait_for(lock, timeout, [&] { return handled_total_ >= target; });
}

uint64_t AuditLog::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void AuditLog::run() {
  std::vector<Pending> batch;
  while (true) {
    uint64_t gap = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is written
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      gap = std::exchange(dropped_unreported_, 0);
    }
    const size_t taken = batch.size();
    if (gap > 0) {
      // The gap goes into the chain ahead of what follows it.
      batch.insert(batch.begin(), Pending{batch.front().at_ms, "audit_dropped", nlohmann::json{{"count", gap}}.dump()});
    }
    write_batch(batch);
    batch.clear();
    {
      std::lock_guard lock(mutex_);
      handled_total_ += taken;
    }
    written_.notify_all();
  }
}

void AuditLog::write_batch(std::vector<Pending>& batch) {
  int64_t seq = last_seq_;
  std::string hash = last_hash_;
  try {
    exec(db_, "BEGIN IMMEDIATE");
    try {
      sqlite::Statement insert(
          db_, "INSERT INTO audit_log (seq, at_ms, kind, fields, prev_hash, hash) VALUES (?,?,?,?,?,?)");
      for (const auto& p : batch) {
        ++seq;
        std::string next = audit::row_hash(hash, seq, p.at_ms, p.kind, p.fields);
        insert.bind(1, seq).bind(2, p.at_ms).bind(3, p.kind).bind(4, p.fields).bind(5, hash).bind(6, next);
        insert.run();
        hash = std::move(next);
      }
      exec(db_, "COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    last_seq_ = seq;
    last_hash_ = std::move(hash);
  } catch (const std::exception& e) {
    size_t lost = 0;
    for (const auto& p : batch) lost += p.kind == "audit_dropped" ? 0 : 1;
    {
      std::lock_guard lock(mutex_);
      dropped_ += lost;
      dropped_unreported_ += lost;
    }
    log::error("audit rows not written", "count", lost, "error", e.what());
  }
}

void AuditLog::open_for_process(const std::filesystem::path& data_dir) {
  ProcessLog& p = process_log();
  std::shared_ptr<AuditLog> previous;
  {
    std::lock_guard lock(p.mutex);
    if (p.log && p.dir == data_dir) return;
    previous = std::move(p.log);
  }
  if (previous) {
    previous->append("stop", {{"pid", ::getpid()}, {"reason", "data_dir changed"}});
    previous.reset();
  }
  std::shared_ptr<AuditLog> log;
  try {
    log = std::make_shared<AuditLog>(data_dir / kFileName);
  } catch (const std::exception& e) {
    // Taps matter more than their record: the station runs, and says so loudly.
    log::error("the audit log cannot be opened; kazasud runs without one until it restarts", "error", e.what());
    return;
  }
  log->append("start", {{"pid", ::getpid()}, {"version", KAZASU_VERSION}});
  std::lock_guard lock(p.mutex);
  p.log = std::move(log);
  p.dir = data_dir;
}

void AuditLog::record(std::string_view kind, const nlohmann::json& fields) {
  if (auto log = current()) log->append(kind, fields);
}

std::filesystem::path AuditLog::process_file() {
  auto log = current();
  return log ? log->file() : std::filesystem::path();
}

bool AuditLog::flush_process(std::chrono::milliseconds timeout) {
  auto log = current();
  return !log || log->flush(timeout);
}

namespace audit {

Reader::Reader(const std::filesystem::path& file) {
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    const std::string what = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw std::runtime_error("cannot open " + file.string() + ": " + what);
  }
  sqlite3_busy_timeout(db_, 5000);
}

Reader::~Reader() {
  sqlite3_close_v2(db_);
}

std::vector<Row> Reader::rows(int64_t after, size_t limit) {
  sqlite::Statement q(db_,
                      "SELECT seq, at_ms, kind, fields, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq "
                      "LIMIT ?");
  q.bind(1, after).bind(2, static_cast<int64_t>(limit));
  std::vector<Row> out;
  while (q.step()) out.push_back(Row{q.int64(0), q.int64(1), q.text(2), q.text(3), q.text(4), q.text(5)});
  return out;
}

Verdict verify_file(const std::filesystem::path& file) {
  Reader reader(file);
  ChainVerifier chain;
  int64_t after = 0;
  constexpr size_t kPage = 4096;
  while (true) {
    const auto page = reader.rows(after, kPage);
    for (const auto& row : page) {
      if (!chain.feed(row)) break;
    }
    if (chain.broken() || page.size() < kPage) break;
    after = page.back().seq;
  }
  return Verdict{chain.rows(), chain.last_seq(), chain.head_hash(), chain.broken()};
}

nlohmann::ordered_json row_json(const Row& row, bool fields_as_text) {
  nlohmann::ordered_json j;
  j["seq"] = row.seq;
  j["at"] = clock::rfc3339(row.at_ms);
  j["at_ms"] = row.at_ms;
  j["kind"] = row.kind;
  if (fields_as_text) {
    j["fields"] = row.fields;
  } else {
    auto parsed = nlohmann::ordered_json::parse(row.fields, nullptr, false);
    j["fields"] = parsed.is_discarded() ? nlohmann::ordered_json(row.fields) : parsed;
  }
  j["prev_hash"] = row.prev_hash;
  j["hash"] = row.hash;
  return j;
}

std::optional<Row> row_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  const auto seq = j.find("seq");
  const auto at = j.find("at_ms");
  const auto kind = j.find("kind");
  const auto fields = j.find("fields");
  const auto prev = j.find("prev_hash");
  const auto hash = j.find("hash");
  if (seq == j.end() || !seq->is_number_integer() || at == j.end() || !at->is_number_integer() || kind == j.end() ||
      !kind->is_string() || fields == j.end() || !fields->is_string() || prev == j.end() || !prev->is_string() ||
      hash == j.end() || !hash->is_string()) {
    return std::nullopt;
  }
  return Row{seq->get<int64_t>(),        at->get<int64_t>(),       kind->get<std::string>(),
             fields->get<std::string>(), prev->get<std::string>(), hash->get<std::string>()};
}

}  // namespace audit
}  // namespace kazasu
