#include "core/log.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "core/log_limiter.hpp"

namespace kazasu::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::mutex g_write_mutex;
// Guarded by g_write_mutex.
LineLimiter g_limiter(50, std::chrono::seconds(10), 1024);

void write_locked(int level, std::string_view line) {
  std::string out;
  out.reserve(line.size() + 4);
  out.push_back('<');
  out.push_back(static_cast<char>('0' + level));
  out.push_back('>');
  out += line;
  out += '\n';
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

void report_suppressed(const LineLimiter::Suppressed& s) {
  std::string line = "log lines suppressed";
  detail::append_fields(line, "sentence", s.sentence, "count", s.count);
  write_locked(s.level, line);
}
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

void write(Level l, std::string_view sentence, std::string_view line) {
  // One write per line, under one lock, so lines from several threads never interleave.
  std::lock_guard lock(g_write_mutex);
  if (!g_limiter.admit(sentence, static_cast<int>(l), LineLimiter::Clock::now(), report_suppressed)) return;
  write_locked(static_cast<int>(l), line);
}

void flush_suppressed() {
  std::lock_guard lock(g_write_mutex);
  g_limiter.sweep(LineLimiter::Clock::now(), report_suppressed);
}

namespace detail {

bool journal_enabled() {
  // Decided once: stderr does not change hands while kazasud runs.
  static const bool enabled = [] {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) return false;
    struct stat st {};
    if (fstat(2, &st) != 0) return false;
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
    return dev == static_cast<unsigned long long>(st.st_dev) && ino == static_cast<unsigned long long>(st.st_ino);
  }();
  return enabled;
}

std::string journal_key(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out += c;
    } else {
      out += '_';
    }
  }
  while (!out.empty() && out.front() == '_') out.erase(out.begin());
  if (out.empty() || (out.front() >= '0' && out.front() <= '9')) out = "F" + out;
  if (out.size() > 64) out.resize(64);
  return out;
}

void write_journal(Level l, std::string_view sentence, std::string_view line, std::vector<std::string> fields) {
  std::lock_guard lock(g_write_mutex);
  if (!g_limiter.admit(sentence, static_cast<int>(l), LineLimiter::Clock::now(), report_suppressed)) return;
  fields.push_back("MESSAGE=" + std::string(line));
  fields.push_back("PRIORITY=" + std::to_string(static_cast<int>(l)));
  fields.push_back("SYSLOG_IDENTIFIER=kazasud");
  std::vector<iovec> iov;
  iov.reserve(fields.size());
  for (auto& f : fields) iov.push_back(iovec{f.data(), f.size()});
  if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) < 0) write_locked(static_cast<int>(l), line);
}

void append_value(std::string& out, std::string_view value) {
  bool needs_quotes = value.empty();
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || u < 0x20 || u == 0x7f) {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) {
    out += value;
    return;
  }
  // Control bytes are escaped so a value from outside cannot forge a line.
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}
}  // namespace detail

}  // namespace kazasu::log
