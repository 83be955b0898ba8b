#include "protocol.hpp"

namespace kazasu::desk {

using nlohmann::json;

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (const char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool nests_deeper_than(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

namespace {

std::string string_field(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

}  // namespace

std::variant<CommandRequest, FrameError> parse_browser_frame(std::string_view text) {
  if (text.size() > kMaxFrameBytes) return FrameError{"", "frame_too_large"};
  if (nests_deeper_than(text, kMaxJsonDepth)) return FrameError{"", "too_deep"};
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return FrameError{"", "malformed_json"};
  if (!j.is_object()) return FrameError{"", "not_an_object"};
  std::string id = string_field(j, "id");
  if (!valid_id(id)) return FrameError{"", "invalid_id"};
  if (string_field(j, "type") != "cmd") return FrameError{id, "unknown_type"};
  CommandRequest request;
  request.plugin = string_field(j, "plugin");
  request.command = string_field(j, "command");
  if (!valid_name(request.plugin)) return FrameError{id, "invalid_plugin"};
  if (!valid_name(request.command)) return FrameError{id, "invalid_command"};
  const auto payload = j.find("payload");
  if (payload == j.end()) {
    request.payload = "{}";
  } else if (!payload->is_object()) {
    return FrameError{id, "payload_not_an_object"};
  } else {
    request.payload = payload->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  request.id = std::move(id);
  return request;
}

namespace {

// A payload that is JSON travels as JSON; anything else as a string (replacing bad UTF-8).
json payload_value(std::string_view payload) {
  if (!nests_deeper_than(payload, 64)) {
    json parsed = json::parse(payload, nullptr, false);
    if (!parsed.is_discarded()) return parsed;
  }
  return json(std::string(payload));
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string message_frame(std::string_view relative_topic, std::string_view payload, bool retained) {
  return dump(json{{"type", "msg"},
                   {"topic", std::string(relative_topic)},
                   {"payload", payload_value(payload)},
                   {"retained", retained}});
}

std::string reply_frame(std::string_view id, std::string_view relative_topic, std::string_view payload) {
  return dump(json{{"type", "reply"},
                   {"id", std::string(id)},
                   {"topic", std::string(relative_topic)},
                   {"payload", payload_value(payload)}});
}

std::string error_frame(std::string_view id, std::string_view code) {
  return dump(json{{"type", "error"}, {"id", std::string(id)}, {"code", std::string(code)}});
}

std::string bridge_frame(bool broker_up, std::string_view site, std::string_view station) {
  return dump(json{{"type", "bridge"},
                   {"broker", broker_up ? "up" : "down"},
                   {"site", std::string(site)},
                   {"station", std::string(station)}});
}

}  // namespace kazasu::desk
