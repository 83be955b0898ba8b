// A message on its way to the broker, and the outbox file it must be deleted
// from once the broker acknowledged it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/tap.hpp"

namespace kazasu {

class OutboxStore;

struct Outgoing {
  std::shared_ptr<OutboxStore> store;  // where the row lives
  int64_t seq = 0;                     // row in that store
  std::string msg_id;
  std::string topic;
  std::string payload;
  StageTimes times;       // stage timings of the tap that caused it (zero after a restart)
  bool retained = false;  // state topics such as a plugin's roster
};

}  // namespace kazasu
