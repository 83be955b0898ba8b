// The retained `daemon/alarm` topic: one message that always carries every
// alarm raised now (`active`), so a storage alarm never hides an outbox alarm
// or the other way round; `alarm` names the change that caused this message.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "mqtt/publisher.hpp"
#include "mqtt/topics.hpp"
#include "outbox/storage_health.hpp"

namespace kazasu {

class AlarmBoard {
 public:
  AlarmBoard(Publisher& publisher, const Topics& topics, const Config& cfg)
      : publisher_(publisher), topics_(topics), cfg_(cfg) {}

  /** state: outbox_ok, outbox_near_cap or outbox_full. */
  void outbox(const std::string& state, int64_t pending, const std::string& message);
  void storage(StorageHealth::State state, uint64_t free_bytes, const std::string& message);
  /**
   * A shared-state entry conflicted on replay: `shared_conflict` stays among
   * the active alarms until kazasud restarts, so no conflict goes unseen
   * (each one is also a `{plugin}/shared_conflict` outcome).
   */
  void shared_conflict(const std::string& message);
  /** Plugins kept unloaded after crashing or hanging kazasud (dispatch/crash_log.hpp), until cleared. */
  void quarantined(const std::string& message);

 private:
  void publish(const std::string& alarm, const std::string& message);

  Publisher& publisher_;
  const Topics& topics_;
  const Config& cfg_;
  std::string outbox_state_ = "outbox_ok";
  std::string storage_state_ = "storage_ok";
  int64_t pending_ = 0;
  uint64_t free_bytes_ = 0;
  bool shared_conflict_ = false;
  bool quarantined_ = false;
};

}  // namespace kazasu
