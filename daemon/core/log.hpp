// One line per event on stderr, with a journald priority prefix (<3>..<7>) and
// key=value fields after a short sentence:
//   <6>tap identified reader=counter-1 plugin=library ms=3.1
// Never pass a token, secret, serial, UID, PIN, name or address as a field.
// A sentence repeated more than 50 times in 10 s is suppressed for the rest
// of that window and its count written afterwards.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace kazasu::log {

enum class Level { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

void set_level(Level level);
Level level();
bool parse_level(std::string_view text, Level& out);
bool enabled(Level level);
/** Writes one line; repeated sentences are rate-limited (core/log_limiter.hpp). */
void write(Level level, std::string_view sentence, std::string_view line);
inline void write(Level level, std::string_view line) {
  write(level, line, line);
}
/** Writes the counts of lines suppressed in windows that have ended; called every second. */
void flush_suppressed();

namespace detail {
void append_value(std::string& out, std::string_view value);

template <class V>
void append_field(std::string& out, std::string_view key, const V& value) {
  out += ' ';
  out += key;
  out += '=';
  if constexpr (std::is_convertible_v<const V&, std::string_view>) {
    append_value(out, std::string_view(value));
  } else {
    std::ostringstream s;
    s << value;
    append_value(out, s.str());
  }
}

inline void append_fields(std::string&) {}

template <class V, class... Rest>
void append_fields(std::string& out, std::string_view key, const V& value, const Rest&... rest) {
  append_field(out, key, value);
  append_fields(out, rest...);
}
}  // namespace detail

/** Logs `message key1=value1 key2=value2 ...`; arguments after the message come in pairs. */
template <class... Fields>
void emit(Level lvl, std::string_view message, const Fields&... fields) {
  static_assert(sizeof...(Fields) % 2 == 0, "log fields come in key/value pairs");
  if (!enabled(lvl)) return;
  std::string line(message);
  detail::append_fields(line, fields...);
  write(lvl, message, line);
}

template <class... F>
void error(std::string_view m, const F&... f) {
  emit(Level::error, m, f...);
}
template <class... F>
void warning(std::string_view m, const F&... f) {
  emit(Level::warning, m, f...);
}
template <class... F>
void notice(std::string_view m, const F&... f) {
  emit(Level::notice, m, f...);
}
template <class... F>
void info(std::string_view m, const F&... f) {
  emit(Level::info, m, f...);
}
template <class... F>
void debug(std::string_view m, const F&... f) {
  emit(Level::debug, m, f...);
}

}  // namespace kazasu::log
