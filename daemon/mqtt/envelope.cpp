#include "mqtt/envelope.hpp"

#include <array>
#include <string_view>

#include "core/clock.hpp"

namespace kazasu {

bool is_reserved_field(const std::string& key) {
  static constexpr std::array<std::string_view, 8> kReserved = {"schema",  "id",     "ts",     "site",
                                                                "station", "reader", "plugin", "event"};
  for (auto r : kReserved) {
    if (key == r) return true;
  }
  return false;
}

std::string make_payload(const Topics& topics, const std::string& plugin, const std::string& event,
                         const std::string& id, int64_t ts_unix_ms, const std::string& reader,
                         const nlohmann::json& fields) {
  // ordered_json keeps the envelope first, which is what a person reading a
  // subscriber's output expects.
  nlohmann::ordered_json out;
  out["schema"] = Topics::schema(plugin, event);
  out["id"] = id;
  out["ts"] = clock::rfc3339(ts_unix_ms);
  out["site"] = topics.site();
  out["station"] = topics.station();
  out["reader"] = reader;
  out["plugin"] = plugin;
  out["event"] = event;
  for (const auto& [k, v] : fields.items()) out[k] = v;
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string make_reply_payload(const Topics& topics, const std::string& id, const std::string& plugin,
                               const std::string& command, const nlohmann::json* result, const std::string& code,
                               const std::string& message) {
  nlohmann::ordered_json j;
  j["schema"] = "kazasu/v1/reply";
  j["id"] = id;
  j["ts"] = clock::rfc3339(clock::now_unix_ms());
  j["site"] = topics.site();
  j["station"] = topics.station();
  j["plugin"] = plugin;
  j["command"] = command;
  j["ok"] = result != nullptr;
  if (result != nullptr) {
    j["result"] = *result;
  } else {
    j["error"] = {{"code", code}, {"message", message}};
  }
  // A plugin's message or a cut name may not be clean UTF-8: replaced, never thrown on the io thread.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace kazasu
