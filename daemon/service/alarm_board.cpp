#include "service/alarm_board.hpp"

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/tap_id.hpp"

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

void AlarmBoard::publish(const std::string& alarm, const std::string& message) {
  nlohmann::ordered_json j;
  const int64_t now = clock::now_unix_ms();
  j["schema"] = "kazasu/v1/daemon/alarm";
  j["id"] = new_tap_id(now);
  j["ts"] = clock::rfc3339(now);
  j["site"] = cfg_.station.site;
  j["station"] = cfg_.station.name;
  j["alarm"] = alarm;
  j["active"] = nlohmann::json::array();
  if (outbox_state_ != "outbox_ok") j["active"].push_back(outbox_state_);
  if (storage_state_ != "storage_ok") j["active"].push_back(storage_state_);
  j["pending"] = pending_;
  j["cap"] = cfg_.outbox.cap;
  j["free_bytes"] = free_bytes_;
  j["alarm_free_bytes"] = cfg_.storage.alarm_free_mb * 1024 * 1024;
  j["message"] = message;
  publisher_.set_retained(topics_.outcome("daemon", "alarm"), j.dump());
}

}  // namespace kazasu
