#include "mqtt/pending_window.hpp"

#include <algorithm>

#include "outbox/outbox_store.hpp"

namespace kazasu {

PendingWindow::PendingWindow(std::vector<std::shared_ptr<OutboxStore>> stores, size_t cap)
    : stores_(std::move(stores)), cap_(std::max<size_t>(cap, 1)) {
  for (const auto& s : stores_) {
    watermark_[s.get()] = 0;
    on_disk_ += s->count();
  }
}

bool PendingWindow::admit(const Outgoing& row, size_t held) {
  int64_t& mark = watermark_[row.store.get()];
  if (row.seq <= mark) {
    // read() took it before its commit reached us: read() counted it off
    // the disk already, this arrival is the other half of that pair.
    ++on_disk_;
    return false;
  }
  if (spilled_ || held >= cap_) {
    spilled_ = true;
    ++on_disk_;
    return false;
  }
  mark = row.seq;
  return true;
}

std::vector<Outgoing> PendingWindow::read(size_t max) {
  std::vector<Outgoing> out;
  if (!spilled_ || max == 0) return out;
  // Each file's next rows; then a merge that takes, from the heads, the
  // oldest tap id, so what is taken of each file is a prefix of it (the
  // watermark may then move to the last row taken without skipping one).
  struct Head {
    OutboxStore* store;
    std::shared_ptr<OutboxStore> owner;
    std::vector<OutboxMessage> rows;
    size_t next = 0;
  };
  std::vector<Head> heads;
  for (const auto& s : stores_) {
    auto rows = s->pending_after(watermark_[s.get()], max);
    if (!rows.empty()) heads.push_back(Head{s.get(), s, std::move(rows)});
  }
  while (out.size() < max) {
    Head* best = nullptr;
    for (auto& h : heads) {
      if (h.next < h.rows.size() && (best == nullptr || h.rows[h.next].msg_id < best->rows[best->next].msg_id)) {
        best = &h;
      }
    }
    if (best == nullptr) break;
    OutboxMessage& m = best->rows[best->next++];
    watermark_[best->store] = m.seq;
    out.push_back(
        Outgoing{best->owner, m.seq, std::move(m.msg_id), std::move(m.topic), std::move(m.payload), {}, m.retained});
  }
  on_disk_ -= static_cast<int64_t>(out.size());
  if (out.size() < max) spilled_ = false;
  return out;
}

}  // namespace kazasu
