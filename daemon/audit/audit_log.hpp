// The audit log: an append-only SQLite table in its own file in the data
// directory (`audit.db`), whose rows are hash-chained (audit_chain.hpp), so
// an edit, a deletion or a reordering is found by `kazasuctl audit verify`.
//
// Rows are written off the tap path: append() queues (any thread, never
// waits for the disk) and one writer thread commits what is queued in
// batches of up to kMaxBatch rows per transaction. The queue holds at most
// kMaxQueued rows; beyond that a row is dropped and counted, the log says so
// (rate-limited), and the next batch written starts with an `audit_dropped`
// row carrying the count, so the gap is itself in the chain.
//
// One audit log per process: kazasud opens it once with the data directory
// (open_for_process(), from prepare_data_dir(), which runs before every
// station, reloads included) and it lives until the process exits, so a
// reload is one `config_reload` row, not a stop and a start. Anything in
// kazasud records through the static record().
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/audit_chain.hpp"

namespace kazasu {

class AuditLog {
 public:
  /** Rows waiting for the writer at most; more are dropped and counted. */
  static constexpr size_t kMaxQueued = 4096;
  /** Rows per transaction at most. */
  static constexpr size_t kMaxBatch = 256;
  /** A row's fields JSON at most; a larger one is replaced by a note of its size. */
  static constexpr size_t kMaxFieldsBytes = 4096;
  /** The file in the data directory. */
  static constexpr const char* kFileName = "audit.db";

  /** Opens (creating) the file and starts the writer. Throws when SQLite cannot open it. */
  explicit AuditLog(const std::filesystem::path& file);
  /** Writes what is queued, then stops the writer. */
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  /**
   * Queues one row of `kind` (a token such as `tap`) with `fields` (a JSON
   * object; never a token, PIN or card data). Any thread; never blocks on the
   * disk. False when the queue is full: the row is dropped and counted.
   */
  bool append(std::string_view kind, const nlohmann::json& fields);
  /** Waits until every row queued before the call is committed (or dropped); false after `timeout`. */
  bool flush(std::chrono::milliseconds timeout);
  [[nodiscard]] uint64_t dropped() const;
  [[nodiscard]] const std::filesystem::path& file() const { return file_; }

  // --- The process's audit log ---

  /**
   * Opens `{data_dir}/audit.db` as the process's audit log and records
   * `start`; again with the same directory it does nothing. Closed (with a
   * `stop` row) when the process exits normally. A file SQLite cannot open
   * (not a database, no space) is logged as an error and kazasud runs
   * without an audit log: taps are never refused for it.
   */
  static void open_for_process(const std::filesystem::path& data_dir);
  /** Records one row in the process's audit log, if one is open. Thread-safe; never blocks on the disk. */
  static void record(std::string_view kind, const nlohmann::json& fields);
  /** The process's audit file, or empty when none is open. */
  static std::filesystem::path process_file();
  /** flush() on the process's audit log (true when none is open). */
  static bool flush_process(std::chrono::milliseconds timeout);

 private:
  struct Pending {
    int64_t at_ms;
    std::string kind;
    std::string fields;
  };
  void run();
  void write_batch(std::vector<Pending>& batch);

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;  // owned: closed in the destructor, used by the writer thread only
  int64_t last_seq_ = 0;
  std::string last_hash_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable written_;
  std::deque<Pending> queue_;
  uint64_t queued_total_ = 0;   // rows ever accepted into the queue
  uint64_t handled_total_ = 0;  // rows committed or lost to a failed write
  uint64_t dropped_ = 0;        // rows lost so far (queue full or write failed)
  uint64_t dropped_unreported_ = 0;
  bool stopping_ = false;
  std::thread writer_;
};

namespace audit {

/** A read-only connection to an audit file (kazasuctl, export). */
class Reader {
 public:
  /** Throws a sentence when the file cannot be opened (missing, permission). */
  explicit Reader(const std::filesystem::path& file);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  /** Rows with seq > `after`, in seq order, at most `limit`. */
  std::vector<Row> rows(int64_t after, size_t limit);

 private:
  sqlite3* db_ = nullptr;
};

/** The outcome of verifying a whole chain. */
struct Verdict {
  int64_t rows = 0;  // rows that verified
  int64_t last_seq = 0;
  std::string head_hash;
  std::optional<Break> broken;
};

/** Reads every row of `file` in order and verifies the chain. Throws when the file cannot be read. */
Verdict verify_file(const std::filesystem::path& file);

/**
 * One row as JSON: seq, at (RFC 3339), at_ms, kind, fields, prev_hash, hash.
 * `fields` is the object for people and scripts (export), or with
 * `fields_as_text` the exact stored text, which is what the hash covers (the
 * control socket's pages, which kazasuctl verifies).
 */
nlohmann::ordered_json row_json(const Row& row, bool fields_as_text = false);
/** A row from row_json(row, true); nullopt when `j` is not one. */
std::optional<Row> row_from_json(const nlohmann::json& j);

}  // namespace audit
}  // namespace kazasu
