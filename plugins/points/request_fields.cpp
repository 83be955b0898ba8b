#include "request_fields.hpp"

#include <kazasu/command_fields.hpp>

#include "points_config.hpp"
#include "points_plugin.hpp"

namespace kazasu::points {
namespace {
constexpr int64_t kMaxPoints = 1'000'000'000;
}  // namespace

using kazasu::CommandError;
using nlohmann::json;

std::string token_field(const json& request) {
  std::string token = *kazasu::fields::string(request, "token", true);
  if (!valid_token(token)) throw CommandError("invalid_token", "\"token\" must be 64 lower-case hex digits");
  return token;
}

std::string request_id_field(const json& request) {
  std::string id = *kazasu::fields::string(request, "request_id", true);
  // The same rule as other ids, longer: it ends up inside a 128-byte entry id.
  bool ok = !id.empty() && id.size() <= 64;
  for (const char c : id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  }
  if (!ok) throw CommandError("invalid_request_id", "\"request_id\" must be 1 to 64 of A-Z, a-z, 0-9, _, -");
  return id;
}

std::string id_field(const json& request, const char* name, const char* code) {
  std::string id = *kazasu::fields::string(request, name, true);
  if (!valid_id(id)) throw CommandError(code, std::string("\"") + name + "\" must be 1 to 32 of A-Z, a-z, 0-9, _, -");
  return id;
}

int64_t points_field(const json& request, const char* name) {
  if (!request.contains(name)) throw CommandError("missing_field", std::string("the command needs a \"") + name + "\"");
  const json& v = request[name];
  if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > kMaxPoints) {
    throw CommandError("invalid_field", std::string("\"") + name + "\" must be a whole number of points, 1 or more");
  }
  return v.get<int64_t>();
}

std::string request_movement(const std::string& token, const std::string& request_id, const char* what) {
  return "req:" + token.substr(0, 32) + ":" + request_id + ":" + what;
}

[[noreturn]] void unavailable() {
  throw CommandError("unavailable",
                     "the city's points system cannot be reached: nothing was changed; send the command again later");
}

std::optional<std::string> repeated(const std::optional<MovementRow>& done, const std::string& request) {
  if (!done) return std::nullopt;
  if (done->request != request) {
    throw CommandError("request_id_reused", "this request_id was used for another request; use a new one");
  }
  json out = json::parse(done->result, nullptr, false);
  if (!out.is_object()) out = json::object();
  out["repeated"] = true;
  return out.dump();
}

}  // namespace kazasu::points
