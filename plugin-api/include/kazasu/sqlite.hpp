// kazasu plugin SDK, optional: a small RAII layer over the plugin's own SQLite
// handle (host().database()). The host owns the connection and the transaction
// around each tap, command or timer; the plugin owns only its statements, which
// must be finalized (or, cached, reset) on every path. Needs sqlite3.h and libsqlite3.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kazasu::db {

class SqlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Statement;

/**
 * Statements prepared once and reused for the life of a connection. Preparing the same
 * SQL again on every tap costs more than running it (bench/README.md), so a plugin that
 * runs its SQL per tap keeps one of these beside its handle and builds its Statements
 * from it. One cache serves one thread at a time, as the connection does; it must go
 * before the connection closes (a member declared after the handle, or in a store the
 * plugin destroys in its destroy callback).
 */
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db, size_t max_statements = 64) : db_(db), max_(max_statements) {}
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  [[nodiscard]] sqlite3* db() const { return db_; }
  [[nodiscard]] size_t size() const { return entries_.size(); }

 private:
  friend class Statement;
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  struct Entry {
    std::unique_ptr<sqlite3_stmt, Finalize> stmt;
    bool in_use = false;
  };
  sqlite3* db_;
  size_t max_;
  // Map nodes never move: a Statement's pointer to its entry's in_use flag stays valid.
  std::map<std::string, Entry, std::less<>> entries_;
};

class Statement {
 public:
  /** Prepares `sql` for this statement alone; finalized when it goes. */
  Statement(sqlite3* db, std::string_view sql) : db_(db), stmt_(prepare(db, sql)) {}

  /**
   * `sql` from the cache, prepared on its first use; reset when this goes. A statement
   * already in use (a query run inside another's loop) or a full cache gives one of its own.
   */
  Statement(StatementCache& cache, std::string_view sql) : db_(cache.db_) {
    auto it = cache.entries_.find(sql);
    if (it == cache.entries_.end() && cache.entries_.size() < cache.max_) {
      auto owned = std::unique_ptr<sqlite3_stmt, StatementCache::Finalize>(prepare(db_, sql));
      it = cache.entries_.emplace(std::string(sql), StatementCache::Entry{std::move(owned)}).first;
    }
    if (it != cache.entries_.end() && !it->second.in_use) {
      stmt_ = it->second.stmt.get();
      in_use_ = &it->second.in_use;
      *in_use_ = true;
    } else {
      stmt_ = prepare(db_, sql);
    }
  }

  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_), in_use_(other.in_use_) {
    other.stmt_ = nullptr;
    other.in_use_ = nullptr;
  }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  ~Statement() {
    if (stmt_ == nullptr) return;
    if (in_use_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
      *in_use_ = false;
    } else {
      sqlite3_finalize(stmt_);
    }
  }

  Statement& bind(int index, int64_t value) {
    check(sqlite3_bind_int64(stmt_, index, value));
    return *this;
  }
  Statement& bind_null(int index) {
    check(sqlite3_bind_null(stmt_, index));
    return *this;
  }
  Statement& bind(int index, std::string_view value) {
    check(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
    return *this;
  }
  /** Steps once; true while a row is available. */
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw SqlError(std::string("statement failed: ") + sqlite3_errmsg(db_));
  }
  /** Runs a statement that returns no rows. */
  void run() {
    while (step()) {
    }
  }
  [[nodiscard]] bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  [[nodiscard]] int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  [[nodiscard]] std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p != nullptr ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col))
                        : std::string();
  }

 private:
  static sqlite3_stmt* prepare(sqlite3* db, std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
      sqlite3_finalize(raw);
      throw SqlError(std::string("cannot prepare statement: ") + sqlite3_errmsg(db));
    }
    return raw;
  }
  void check(int rc) const {
    if (rc != SQLITE_OK) throw SqlError(std::string("cannot bind: ") + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool* in_use_ = nullptr;  // set: a StatementCache's statement, reset on destruction
};

inline void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    throw SqlError(msg);
  }
}

}  // namespace kazasu::db
