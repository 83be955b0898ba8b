#include "outbox/sqlite.hpp"

namespace kazasu::sqlite {
namespace {
[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw SqliteError(std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"),
                    db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_NOMEM);
}
}  // namespace

bool is_storage_failure(const std::exception& e) {
  const auto* s = dynamic_cast<const SqliteError*>(&e);
  return s != nullptr && is_storage_error(s->code());
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db), stmt_(nullptr) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    fail(db, "prepare");
  }
}

Statement::Statement(sqlite3* db, sqlite3_stmt* cached, bool* in_use) : db_(db), stmt_(cached), in_use_(in_use) {
  *in_use_ = true;
}

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_), in_use_(other.in_use_) {
  other.stmt_ = nullptr;
  other.in_use_ = nullptr;
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (in_use_ != nullptr) {
    reset();
    *in_use_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
}

Statement& Statement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
    fail(db_, "bind");
  }
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "step");
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::int64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p != nullptr
             ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
}

Database::Database(const std::filesystem::path& file, Sync sync) : file_(file) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(db);
  if (rc != SQLITE_OK) fail(db, "open " + file.string());
  sqlite3_busy_timeout(db, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec(sync == Sync::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
}

Statement Database::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    if (cache_.size() >= kMaxCached) return prepare(sql);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(handle(), sql.data(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK) {
      sqlite3_finalize(s);
      fail(handle(), "prepare");
    }
    it = cache_.emplace(std::string(sql), Cached{std::unique_ptr<sqlite3_stmt, detail::Finalize>(s)}).first;
  }
  if (it->second.in_use) return prepare(sql);
  return Statement(handle(), it->second.stmt.get(), &it->second.in_use);
}

void Database::run(std::string_view sql) {
  auto st = cached(sql);
  const int rc = sqlite3_step(st.stmt_);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    // The same words as exec() gives, so logs and outcomes read as before.
    throw SqliteError(std::string(sql.substr(0, 40)) + ": " + sqlite3_errmsg(handle()),
                      sqlite3_extended_errcode(handle()));
  }
}

void Database::exec(std::string_view sql) {
  char* msg = nullptr;
  const std::string s(sql);
  if (sqlite3_exec(db_.get(), s.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string what = msg != nullptr ? msg : "unknown error";
    sqlite3_free(msg);
    throw SqliteError(s.substr(0, 40) + ": " + what, sqlite3_extended_errcode(db_.get()));
  }
}

}  // namespace kazasu::sqlite
