// kazasu plugin SDK, optional: reading the fields of a command's JSON request
// with the error codes facility PCs see from every plugin alike
// (`unknown_field`, `missing_field`, `invalid_field`). Needs nlohmann/json.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kazasu/plugin.hpp"

namespace kazasu::fields {

/** Refuses any field not in `allowed`, so a typo ("patorn") is not silently ignored. */
inline void only(const nlohmann::json& request, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : request.items()) {
    bool known = false;
    for (const char* a : allowed) known = known || key == a;
    if (!known) throw CommandError("unknown_field", "unknown field \"" + key + "\"");
  }
}

/** The string field `name`; nullopt when absent and not `required`. */
inline std::optional<std::string> string(const nlohmann::json& request, const char* name, bool required,
                                         bool allow_empty = true) {
  if (!request.contains(name)) {
    if (required) throw CommandError("missing_field", std::string("the command needs a \"") + name + "\" string");
    return std::nullopt;
  }
  const auto& v = request[name];
  if (!v.is_string() || (!allow_empty && v.get<std::string>().empty())) {
    throw CommandError("invalid_field",
                       std::string("\"") + name + "\" must be a " + (allow_empty ? "" : "non-empty ") + "string");
  }
  return v.get<std::string>();
}

}  // namespace kazasu::fields
