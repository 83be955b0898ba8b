// kazasu plugin SDK, optional: a small RAII layer over the plugin's own SQLite
// handle (host().database()). The host owns the connection and the transaction
// around each tap, command or timer; the plugin owns only its statements, which
// must be finalized on every path. Needs sqlite3.h and libsqlite3.
#pragma once

#include <sqlite3.h>

#include <cstdint>
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

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) : db_(db) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
      throw SqlError(std::string("cannot prepare statement: ") + sqlite3_errmsg(db));
    }
    stmt_.reset(raw);
  }

  Statement& bind(int index, int64_t value) {
    check(sqlite3_bind_int64(stmt_.get(), index, value));
    return *this;
  }
  Statement& bind_null(int index) {
    check(sqlite3_bind_null(stmt_.get(), index));
    return *this;
  }
  Statement& bind(int index, std::string_view value) {
    check(sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
    return *this;
  }
  /** Steps once; true while a row is available. */
  bool step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw SqlError(std::string("statement failed: ") + sqlite3_errmsg(db_));
  }
  /** Runs a statement that returns no rows. */
  void run() {
    while (step()) {
    }
  }
  [[nodiscard]] bool is_null(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }
  [[nodiscard]] int64_t int64(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  [[nodiscard]] std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_.get(), col);
    return p != nullptr ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_.get(), col))
                        : std::string();
  }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) throw SqlError(std::string("cannot bind: ") + sqlite3_errmsg(db_));
  }
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
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
