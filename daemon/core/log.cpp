#include "core/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace kazasu::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::mutex g_write_mutex;
}  // namespace

void set_level(Level l) {
  g_level.store(l);
}
Level level() {
  return g_level.load();
}
bool enabled(Level l) {
  return static_cast<int>(l) <= static_cast<int>(g_level.load());
}

bool parse_level(std::string_view text, Level& out) {
  static constexpr std::pair<std::string_view, Level> kNames[] = {{"error", Level::error},
                                                                  {"warning", Level::warning},
                                                                  {"notice", Level::notice},
                                                                  {"info", Level::info},
                                                                  {"debug", Level::debug}};
  for (const auto& [name, lvl] : kNames) {
    if (text == name) {
      out = lvl;
      return true;
    }
  }
  return false;
}

void write(Level l, std::string_view line) {
  std::string out;
  out.reserve(line.size() + 4);
  out.push_back('<');
  out.push_back(static_cast<char>('0' + static_cast<int>(l)));
  out.push_back('>');
  out += line;
  out += '\n';
  // One write per line so lines from several threads never interleave.
  std::lock_guard lock(g_write_mutex);
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

namespace detail {
void append_value(std::string& out, std::string_view value) {
  const bool needs_quotes = value.empty() || value.find_first_of(" \"=\t\n") != std::string_view::npos;
  if (!needs_quotes) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
}
}  // namespace detail

}  // namespace kazasu::log
