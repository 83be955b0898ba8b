// The common fields of every outcome payload (MQTT contract v1), which the
// host sets and a plugin may not: schema, id, ts, site, station, reader,
// plugin, event; and the payload of a command's reply. The retained state
// topics' payloads (status, readers, daemon/alarm) are in state_payloads.hpp.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "mqtt/topics.hpp"

namespace kazasu {

/** True for a key a plugin may not set in its fields. */
bool is_reserved_field(const std::string& key);

/**
 * The payload for `{plugin}/{event}`: the envelope fields followed by the
 * plugin's `fields` (a JSON object without reserved keys).
 */
std::string make_payload(const Topics& topics, const std::string& plugin, const std::string& event,
                         const std::string& id, int64_t ts_unix_ms, const std::string& reader,
                         const nlohmann::json& fields);

/**
 * The payload of a command's reply (`kazasu/v1/reply`), stamped now: `result`
 * when it is non-null, else `error` with `code` and `message`.
 */
std::string make_reply_payload(const Topics& topics, const std::string& id, const std::string& plugin,
                               const std::string& command, const nlohmann::json* result, const std::string& code,
                               const std::string& message);

}  // namespace kazasu
