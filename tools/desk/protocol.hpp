// What the browser may send to kazasu-desk and what it gets back (tools/desk/README.md).
// Everything from the browser is bounded here, before it reaches the broker: the frame's
// size, the JSON's nesting depth (counted before parsing), the names and the request id.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace kazasu::desk {

inline constexpr std::size_t kMaxFrameBytes = 64 * 1024;  // kazasud's default max_command_bytes
inline constexpr int kMaxJsonDepth = 16;
inline constexpr std::size_t kMaxIdBytes = 64;
inline constexpr std::size_t kMaxNameBytes = 32;

/** A command the browser asks the bridge to send as an MQTT v5 request. */
struct CommandRequest {
  std::string id;       // the browser's id, echoed with the reply
  std::string plugin;   // [a-z0-9_-]{1,32}
  std::string command;  // [a-z0-9_-]{1,32}
  std::string payload;  // a JSON object, serialised again (so nothing odd passes through)
};

/** A frame that was refused, with the request id when one could be read. */
struct FrameError {
  std::string id;
  std::string code;  // frame_too_large, too_deep, malformed_json, not_an_object, unknown_type, invalid_id, ...
};

/** Plugin and command names: 1-32 of a-z, 0-9, '_', '-'. */
bool valid_name(std::string_view name);
/** Request ids: 1-64 printable ASCII characters. */
bool valid_id(std::string_view id);
/** True when JSON text nests arrays and objects deeper than `max_depth` (strings are skipped). */
bool nests_deeper_than(std::string_view text, int max_depth);

/** Checks and parses one text frame from the browser. */
std::variant<CommandRequest, FrameError> parse_browser_frame(std::string_view text);

/** The frame sent to browsers for one MQTT message under the station's root. */
std::string message_frame(std::string_view relative_topic, std::string_view payload, bool retained);
/** The frame carrying a command's reply to the browser that sent it. */
std::string reply_frame(std::string_view id, std::string_view relative_topic, std::string_view payload);
/** A command the bridge could not send. */
std::string error_frame(std::string_view id, std::string_view code);
/** The bridge's link to the broker. */
std::string bridge_frame(bool broker_up, std::string_view site, std::string_view station);

}  // namespace kazasu::desk
