// Byte-class checks for names and segments that arrive from outside (MQTT
// topics, config, plugin descriptors, control requests). They are loops over
// the bytes with the length checked first: the standard library's regex matcher recurses once
// per character, and a 40,000-character MQTT topic overflowed the stack.
#pragma once

#include <cstddef>
#include <string_view>

namespace kazasu::text {

inline bool is_lower_digit_underscore(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}
inline bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/** `[a-z0-9_]{1,max}`: events, command names, error codes. */
inline bool is_token(std::string_view s, size_t max = 64) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (!is_lower_digit_underscore(c)) return false;
  }
  return true;
}

/** `[a-z][a-z0-9_]{0,max-1}`: plugin names. */
inline bool is_identifier(std::string_view s, size_t max = 64) {
  return is_token(s, max) && s.front() >= 'a' && s.front() <= 'z';
}

/** `[A-Za-z0-9_-]{1,max}`: site, station and reader names, which become topic segments. */
inline bool is_topic_safe(std::string_view s, size_t max = 64) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

/** An even, non-zero number of hex digits, at most `max` of them. */
inline bool is_hex_bytes(std::string_view s, size_t max = 512) {
  if (s.empty() || s.size() % 2 != 0 || s.size() > max) return false;
  for (char c : s) {
    if (!is_hex_digit(c)) return false;
  }
  return true;
}

/**
 * True when `text` nests arrays and objects deeper than `max_depth`. One pass
 * with a counter, strings skipped; whether the text is valid JSON is the
 * parser's question, asked only after this one.
 */
inline bool json_nests_deeper_than(std::string_view text, size_t max_depth) {
  size_t depth = 0;
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
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

}  // namespace kazasu::text
