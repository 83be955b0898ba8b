// RAII over sqlite3 and sqlite3_stmt. Errors throw SqliteError with SQLite's
// own message; callers on the tap path turn them into outcomes.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kazasu::sqlite {

class SqliteError : public std::runtime_error {
 public:
  explicit SqliteError(const std::string& what, int code = SQLITE_ERROR) : std::runtime_error(what), code_(code) {}
  /** SQLite's extended result code. */
  [[nodiscard]] int code() const { return code_; }

 private:
  int code_;
};

/**
 * True for result codes that say the disk or the file system failed us (full,
 * I/O error, read-only, cannot open) rather than the SQL or the data.
 */
inline bool is_storage_error(int code) {
  switch (code & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
      return true;
    default:
      return false;
  }
}

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view value);
  /** Steps once; true while a row is available. */
  bool step();
  /** Steps to completion, for statements that return no rows. */
  void run();
  void reset();
  [[nodiscard]] int64_t int64(int col) const;
  [[nodiscard]] std::string text(int col) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

/** True when `e` is a SqliteError whose code is_storage_error(). */
bool is_storage_failure(const std::exception& e);

/** Durability per file: ledgers and outboxes use FULL (an fsync per commit). */
enum class Sync { normal, full };

class Database {
 public:
  /** Opens or creates the file in WAL mode with a busy timeout, creating its directory. */
  Database(const std::filesystem::path& file, Sync sync);
  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;

  void exec(std::string_view sql);
  Statement prepare(std::string_view sql) { return Statement(handle(), sql); }
  [[nodiscard]] sqlite3* handle() const { return db_.get(); }
  [[nodiscard]] const std::filesystem::path& file() const { return file_; }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::filesystem::path file_;
  std::unique_ptr<sqlite3, Close> db_;
};

}  // namespace kazasu::sqlite
