// The malformed MQTT commands of fault case 4, shared by the test and the
// flooder that sends them: the i-th command's kind is a function of i alone,
// so the test knows which reply each correlation id should get.
#pragma once

#include <string>
#include <vector>

namespace kazasu::faults {

struct MqttKind {
  const char* name;
  std::string topic_tail;  // after the station root
  std::string payload;
  bool reply_topic;    // a response topic under replies/
  bool outside_topic;  // a response topic outside replies/
  const char* code;    // the expected error code; nullptr: no reply
};

inline std::vector<MqttKind> mqtt_kinds() {
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  const std::string large(70 * 1024, 'x');  // over max_command_bytes (64 KiB)
  return {
      {"non_json", "example/cmd/count", "this is not json {", true, false, "malformed_json"},
      {"deep_json", "example/cmd/count", deep, true, false, "too_deep"},
      {"over_max_command_bytes", "example/cmd/count", "{\"token\":\"" + large + "\"}", true, false,
       "payload_too_large"},
      {"wrong_type", "example/cmd/count", R"({"token":12345})", true, false, "missing_field"},
      {"wrong_type_array", "example/cmd/count", R"({"token":["a","b"]})", true, false, "missing_field"},
      {"unknown_command", "example/cmd/no-such-command", "{}", true, false, "unknown_command"},
      {"unknown_plugin", "no-such-plugin/cmd/count", "{}", true, false, "unknown_plugin"},
      {"not_an_object", "example/cmd/count", "[1,2,3]", true, false, "not_an_object"},
      {"invalid_utf8", "example/cmd/count", "{\"token\":\"\xff\xfe\xfd\"}", true, false, "malformed_json"},
      {"empty_payload", "example/cmd/count", "", true, false, "malformed_json"},
      {"reply_outside_replies", "example/cmd/count", "{}", false, true, nullptr},
      {"no_reply_topic", "example/cmd/count", "{}", false, false, nullptr},
  };
}

/** The kind of the i-th command: a mix of 20, the cheap kinds twice, the 70 KiB one once. */
inline size_t kind_of(int i) {
  static const int kMix[] = {0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 1, 3, 4, 5, 6, 7, 8, 2};
  return static_cast<size_t>(kMix[i % 20]);
}

/**
 * Every 2,000th command is 1 MiB: over the maximum packet size kazasud asks
 * the broker for, so the broker never hands it over (MQTT v5 3.1.2.11.4) and
 * no reply can come.
 */
inline bool oversize(int i) {
  return i % 2000 == 1999;
}

inline std::string correlation_of(int i) {
  // Not "c" + to_string(i): gcc 12 at -O3 warns a false -Wrestrict on that inlined.
  std::string s = std::to_string(i);
  s.insert(s.begin(), 'c');
  return s;
}

/** Where the i-th command asks for its reply (empty: nowhere). */
inline std::string response_topic(const std::string& root, const MqttKind& k) {
  if (k.reply_topic) return root + "replies/flood/" + k.name;
  if (k.outside_topic) return "kazasu/v1/test-city/other-station/replies/flood";
  return {};
}

}  // namespace kazasu::faults
