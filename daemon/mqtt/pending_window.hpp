// Which outbox rows the publisher holds in memory. The outbox files are the
// backlog; memory holds at most `cap` rows of it. While the broker is away
// for hours a busy station's backlog is tens of thousands of rows, and
// holding them all would make kazasud's memory grow with the outage. So once
// the held rows reach the cap, new rows stay on disk only ("spilled"), and
// as the held rows drain they are read back from the files, oldest first,
// until reading catches up with the newest row.
//
// A row is read at most once: each file has a watermark (the highest seq
// held or sent), rows at or below it are never taken again, whether they
// arrive by enqueue or by reading. Seqs only grow (AUTOINCREMENT).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "mqtt/outgoing.hpp"

namespace kazasu {

class PendingWindow {
 public:
  /** `stores`: every outbox file; all their rows start on disk, not held. */
  PendingWindow(std::vector<std::shared_ptr<OutboxStore>> stores, size_t cap);

  /**
   * A row just committed: true when the publisher should hold it now (and
   * the watermark moves to it); false when it stays on disk to be read later,
   * or was already read.
   */
  bool admit(const Outgoing& row, size_t held);
  /** True while rows wait on disk that are not held. */
  [[nodiscard]] bool spilled() const { return spilled_; }
  /**
   * The next rows not yet held, at most `max`, oldest tap first across files
   * (each file's rows in seq order). Fewer than `max` means reading caught up.
   */
  std::vector<Outgoing> read(size_t max);
  /** Rows on disk and not held (an estimate while commits race reads; never negative). */
  [[nodiscard]] int64_t on_disk() const { return on_disk_ > 0 ? on_disk_ : 0; }
  [[nodiscard]] size_t cap() const { return cap_; }

 private:
  std::vector<std::shared_ptr<OutboxStore>> stores_;
  std::map<const OutboxStore*, int64_t> watermark_;
  size_t cap_;
  bool spilled_ = true;  // the files may hold rows from the last run
  int64_t on_disk_ = 0;
};

}  // namespace kazasu
