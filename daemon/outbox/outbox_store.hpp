// One outbox file as the publisher sees it: its own SQLite connection, used
// on the io thread only, to load what is pending at start and to delete rows
// the broker acknowledged. Writers (the daemon, a plugin's strand) use their
// own connections to the same WAL file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "outbox/outbox.hpp"
#include "outbox/sqlite.hpp"

namespace kazasu {

class OutboxStore {
 public:
  // Deletes need no fsync of their own (synchronous=NORMAL): a delete lost in
  // a power cut only means the outcome is published again, and subscribers
  // drop repeats by id. Rows are written by other connections with FULL.
  OutboxStore(std::string owner, const std::filesystem::path& file)
      : owner_(std::move(owner)), db_(file, sqlite::Sync::normal) {
    outbox::ensure_schema(db_);
  }
  [[nodiscard]] const std::string& owner() const { return owner_; }
  std::vector<OutboxMessage> pending() { return outbox::pending(db_); }
  std::vector<OutboxMessage> pending_after(int64_t seq, size_t limit) { return outbox::pending_after(db_, seq, limit); }
  /** Marks a row acknowledged; it is deleted with others at the next flush(). */
  void acknowledged(int64_t seq) { acked_.push_back(seq); }
  [[nodiscard]] size_t unflushed() const { return acked_.size(); }
  /** Deletes every acknowledged row in one transaction. */
  void flush() {
    if (acked_.empty()) return;
    outbox::remove(db_, acked_);
    acked_.clear();
  }
  int64_t count() {
    flush();
    return outbox::count(db_);
  }

 private:
  std::string owner_;
  sqlite::Database db_;
  std::vector<int64_t> acked_;
};

}  // namespace kazasu
