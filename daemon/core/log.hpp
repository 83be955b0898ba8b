// One line per event on stderr, with a journald priority prefix (<3>..<7>) and
// key=value fields after a short sentence:
//   <6>tap identified reader=counter-1 plugin=library ms=3.1
// Never pass a token, secret, serial, UID, PIN, name or address as a field.
// A sentence repeated more than 50 times in 10 s is suppressed for the rest
// of that window and its count written afterwards. Under systemd (stderr is
// the journal stream) each line goes to the journal instead, with the fields
// as journal fields too (READER=, PLUGIN=, TAP_ID=, REASON=, ...), so
// `journalctl -u kazasud READER=counter-1` finds a reader's lines.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

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

/** True when stderr is systemd's journal stream ($JOURNAL_STREAM names it). */
bool journal_enabled();
/** A journal field name for a log key: "tap_id" -> "TAP_ID" (A-Z, 0-9, _; never leading _). */
std::string journal_key(std::string_view key);
/** Sends one line and its fields to the journal (rate-limited like write()). */
void write_journal(Level level, std::string_view sentence, std::string_view line, std::vector<std::string> fields);

template <class V>
std::string text_of(const V& value) {
  if constexpr (std::is_convertible_v<const V&, std::string_view>) {
    return std::string(std::string_view(value));
  } else {
    std::ostringstream s;
    s << value;
    return s.str();
  }
}

inline void journal_fields(std::vector<std::string>&) {}

template <class V, class... Rest>
void journal_fields(std::vector<std::string>& out, std::string_view key, const V& value, const Rest&... rest) {
  out.push_back(journal_key(key) + "=" + text_of(value));
  journal_fields(out, rest...);
}

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
  if (detail::journal_enabled()) {
    std::vector<std::string> journal;
    journal.reserve(sizeof...(Fields) / 2);
    detail::journal_fields(journal, fields...);
    detail::write_journal(lvl, message, line, std::move(journal));
    return;
  }
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
