// Reading the fields of the points plugin's commands: sizes and byte classes
// first, no regular expressions, and the plugin's own error codes beside the
// SDK's (missing_field, invalid_field, unknown_field).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "points_store.hpp"

namespace kazasu::points {

/** "token": 64 lower-case hex digits (invalid_token). */
std::string token_field(const nlohmann::json& request);
/** "request_id": 1 to 64 of A-Z, a-z, 0-9, _, - (invalid_request_id). */
std::string request_id_field(const nlohmann::json& request);
/** An id field (a prize, a project): 1 to 32 of A-Z, a-z, 0-9, _, - (`code` otherwise). */
std::string id_field(const nlohmann::json& request, const char* name, const char* code);
/** A whole number of points, 1 or more. */
int64_t points_field(const nlohmann::json& request, const char* name);

/**
 * A request's movement id: request ids are the caller's, unique per resident
 * at best, so the account is part of the id (its first 128 bits keep the id
 * within the 128 bytes of an entry id).
 */
std::string request_movement(const std::string& token, const std::string& request_id, const char* what);

/** Refuses the command: the city's engine did not answer. */
[[noreturn]] void unavailable();

/** A request id seen before here: the first answer again, or request_id_reused when it named something else. */
std::optional<std::string> repeated(const std::optional<MovementRow>& done, const std::string& request);

}  // namespace kazasu::points
