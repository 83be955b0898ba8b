#include "service/alarm_board.hpp"

#include "mqtt/state_payloads.hpp"

namespace kazasu {

void AlarmBoard::outbox(const std::string& state, int64_t pending, const std::string& message) {
  outbox_state_ = state;
  pending_ = pending;
  publish(state, message);
}

void AlarmBoard::storage(StorageHealth::State state, uint64_t free_bytes, const std::string& message) {
  storage_state_ = std::string("storage_") + to_string(state);
  free_bytes_ = free_bytes;
  publish(storage_state_, message);
}

void AlarmBoard::shared_conflict(const std::string& message) {
  shared_conflict_ = true;
  publish("shared_conflict", message);
}

void AlarmBoard::quarantined(const std::string& message) {
  quarantined_ = true;
  publish("plugin_quarantined", message);
}

void AlarmBoard::publish(const std::string& alarm, const std::string& message) {
  AlarmFacts facts;
  facts.alarm = alarm;
  if (outbox_state_ != "outbox_ok") facts.active.push_back(outbox_state_);
  if (storage_state_ != "storage_ok") facts.active.push_back(storage_state_);
  if (shared_conflict_) facts.active.emplace_back("shared_conflict");
  if (quarantined_) facts.active.emplace_back("plugin_quarantined");
  facts.pending = pending_;
  facts.cap = cfg_.outbox.cap;
  facts.free_bytes = free_bytes_;
  facts.alarm_free_bytes = cfg_.storage.alarm_free_mb * 1024 * 1024;
  facts.message = message;
  publisher_.set_retained(topics_.outcome("daemon", "alarm"), alarm_payload(topics_, facts));
}

}  // namespace kazasu
