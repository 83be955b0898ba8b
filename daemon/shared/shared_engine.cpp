#include "shared/shared_engine.hpp"

namespace kazasu::shared {

const char* to_string(Status s) {
  switch (s) {
    case Status::ok:
      return "ok";
    case Status::exists:
      return "exists";
    case Status::conflict:
      return "conflict";
    case Status::not_found:
      return "not_found";
    case Status::unavailable:
      return "unavailable";
    case Status::invalid:
      return "invalid";
  }
  return "invalid";
}

namespace {
bool has_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}
}  // namespace

std::optional<std::string> check_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return "a key is 1 to " + std::to_string(kMaxKeyBytes) + " bytes";
  }
  if (has_nul(key)) return std::string("a key holds no NUL byte");
  return std::nullopt;
}

std::optional<std::string> check_value(std::string_view value) {
  if (value.size() > kMaxValueBytes) return "a value is at most " + std::to_string(kMaxValueBytes) + " bytes";
  if (has_nul(value)) return std::string("a value holds no NUL byte");
  return std::nullopt;
}

std::optional<std::string> check_entry_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxEntryIdBytes) {
    return "an entry id is 1 to " + std::to_string(kMaxEntryIdBytes) + " bytes";
  }
  if (has_nul(id)) return std::string("an entry id holds no NUL byte");
  return std::nullopt;
}

}  // namespace kazasu::shared
