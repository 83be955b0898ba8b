// RAII over sqlite3 and sqlite3_stmt. Errors throw SqliteError with SQLite's
// own message; callers on the tap path turn them into outcomes.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
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

namespace detail {
struct Finalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
}  // namespace detail

class Statement {
 public:
  /** Prepares `sql` for this statement alone; finalized when it goes. */
  Statement(sqlite3* db, std::string_view sql);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

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
  friend class Database;
  // A Database's cached statement: reset on destruction, not finalized.
  Statement(sqlite3* db, sqlite3_stmt* cached, bool* in_use);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_ = nullptr;
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
  /** Runs one statement that returns no rows, prepared once per connection (BEGIN, COMMIT,
   *  SAVEPOINT...): the tap path runs a handful of these per tap, and preparing them again
   *  each time was a third of kazasud's CPU under load (bench/README.md). */
  void run(std::string_view sql);
  Statement prepare(std::string_view sql) { return Statement(handle(), sql); }
  /** `sql` prepared once per connection and reused; a second use while the first is alive
   *  (a nested query) gets a statement of its own. */
  Statement cached(std::string_view sql);
  [[nodiscard]] sqlite3* handle() const { return db_.get(); }
  [[nodiscard]] const std::filesystem::path& file() const { return file_; }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  struct Cached {
    std::unique_ptr<sqlite3_stmt, detail::Finalize> stmt;
    bool in_use = false;
  };
  // Few and fixed (the host's own SQL); a bound all the same.
  static constexpr size_t kMaxCached = 32;

  std::filesystem::path file_;
  std::unique_ptr<sqlite3, Close> db_;
  // After db_: the statements are finalized before the connection closes. Map nodes do
  // not move, so a Statement's in_use pointer stays valid while the Database lives.
  std::map<std::string, Cached, std::less<>> cache_;
};

}  // namespace kazasu::sqlite
