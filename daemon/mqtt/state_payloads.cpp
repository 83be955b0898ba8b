#include "mqtt/state_payloads.hpp"

#include "core/clock.hpp"
#include "core/tap_id.hpp"

namespace kazasu {

nlohmann::ordered_json status_payload(const Topics& topics, const StatusFacts& facts, int64_t ts_unix_ms,
                                      const std::string& state, const StorageFacts* storage) {
  nlohmann::ordered_json j;
  j["schema"] = "kazasu/v1/status";
  j["id"] = facts.boot_id;
  j["ts"] = clock::rfc3339(ts_unix_ms);
  j["site"] = topics.site();
  j["station"] = topics.station();
  j["state"] = state;
  j["version"] = facts.version;
  j["readers"] = nlohmann::json::array();
  for (const auto& r : facts.readers) j["readers"].push_back(r);
  j["plugins"] = nlohmann::json::array();
  for (const auto& [name, version] : facts.plugins) j["plugins"].push_back({{"name", name}, {"version", version}});
  j["refused_plugins"] = nlohmann::json::array();
  for (const auto& [name, reason] : facts.refused) j["refused_plugins"].push_back({{"name", name}, {"reason", reason}});
  if (facts.reload) {
    j["reload"] = {
        {"ok", facts.reload->ok}, {"at", clock::rfc3339(facts.reload->at_unix_ms)}, {"errors", facts.reload->errors}};
  }
  if (storage != nullptr) {
    j["storage"] = {{"state", storage->state},
                    {"free_bytes", storage->free_bytes},
                    {"alarm_free_bytes", storage->alarm_free_bytes},
                    {"held_in_memory", storage->held_in_memory},
                    {"dropped_from_memory", storage->dropped_from_memory}};
  }
  return j;
}

std::string reader_state_payload(const std::string& reader, const std::string& driver, const std::string& state,
                                 const std::string& detail) {
  nlohmann::ordered_json j;
  j["schema"] = "kazasu/v1/readers";
  j["id"] = new_tap_id(clock::now_unix_ms());
  j["ts"] = clock::rfc3339(clock::now_unix_ms());
  j["reader"] = reader;
  j["driver"] = driver;
  j["state"] = state;
  j["detail"] = detail;
  return j.dump();
}

std::string alarm_payload(const Topics& topics, const AlarmFacts& facts) {
  nlohmann::ordered_json j;
  const int64_t now = clock::now_unix_ms();
  j["schema"] = "kazasu/v1/daemon/alarm";
  j["id"] = new_tap_id(now);
  j["ts"] = clock::rfc3339(now);
  j["site"] = topics.site();
  j["station"] = topics.station();
  j["alarm"] = facts.alarm;
  j["active"] = facts.active;
  j["pending"] = facts.pending;
  j["cap"] = facts.cap;
  j["free_bytes"] = facts.free_bytes;
  j["alarm_free_bytes"] = facts.alarm_free_bytes;
  j["message"] = facts.message;
  return j.dump();
}

}  // namespace kazasu
