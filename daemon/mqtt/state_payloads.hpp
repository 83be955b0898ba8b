// The payloads of the retained state topics (MQTT contract v1): `status`,
// `readers/{reader}` and `daemon/alarm`. Built from plain facts, so the stages
// that know them (service/) need not agree on a JSON shape among themselves.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mqtt/topics.hpp"

namespace kazasu {

/** The last reload: when, and why it was refused (errors as FILE:LINE: key: sentence). */
struct ReloadFacts {
  bool ok = true;
  int64_t at_unix_ms = 0;
  std::vector<std::string> errors;
};

/** What `status` says about the station, fixed from the start (but the last reload). */
struct StatusFacts {
  std::string boot_id;
  std::string version;
  std::vector<std::string> readers;
  std::vector<std::pair<std::string, std::string>> plugins;  // name, version
  std::vector<std::pair<std::string, std::string>> refused;  // name, reason
  std::optional<ReloadFacts> reload;                         // none before the first reload
};

/** The `storage` part of `status` while running. */
struct StorageFacts {
  std::string state;
  uint64_t free_bytes = 0;
  uint64_t alarm_free_bytes = 0;
  size_t held_in_memory = 0;
  uint64_t dropped_from_memory = 0;
};

/** `kazasu/v1/status`; `storage` is left out when null (the offline payloads). */
nlohmann::ordered_json status_payload(const Topics& topics, const StatusFacts& facts, int64_t ts_unix_ms,
                                      const std::string& state, const StorageFacts* storage = nullptr);

/** `kazasu/v1/readers`, stamped now. */
std::string reader_state_payload(const std::string& reader, const std::string& driver, const std::string& state,
                                 const std::string& detail);

/** What `daemon/alarm` carries besides its stamp. */
struct AlarmFacts {
  std::string alarm;                // the change that caused this message
  std::vector<std::string> active;  // every alarm raised now
  int64_t pending = 0;
  int64_t cap = 0;
  uint64_t free_bytes = 0;
  int64_t alarm_free_bytes = 0;
  std::string message;
};

/** `kazasu/v1/daemon/alarm`, stamped now. */
std::string alarm_payload(const Topics& topics, const AlarmFacts& facts);

}  // namespace kazasu
