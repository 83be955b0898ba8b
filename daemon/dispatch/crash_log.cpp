#include "dispatch/crash_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>

namespace kazasu::crash {
namespace {

thread_local const char* t_plugin = nullptr;
int g_fd = -1;
std::mutex g_write_mutex;
constexpr size_t kMaxLines = 2000;  // read at start; older lines do not count anyway

// Async-signal-safe: no allocation, no stdio, no locks.
size_t put_uint(char* out, uint64_t v) {
  char digits[24];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < sizeof digits);
  for (size_t i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  return n;
}

size_t put_text(char* out, size_t room, const char* text) {
  size_t n = 0;
  // Plugin names are [a-z][a-z0-9_]* (checked at load); anything else ends the copy.
  while (text[n] != '\0' && n < room && text[n] > ' ' && text[n] < 0x7f) {
    out[n] = text[n];
    ++n;
  }
  return n;
}

uint64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

void write_line(const char* plugin, const char* event) {
  if (g_fd < 0) return;
  char line[200];
  size_t n = put_uint(line, now_ms());
  line[n++] = ' ';
  n += put_text(line + n, 80, plugin);
  line[n++] = ' ';
  n += put_text(line + n, 40, event);
  line[n++] = '\n';
  [[maybe_unused]] const ssize_t w = ::write(g_fd, line, n);
  ::fsync(g_fd);
}

const char* signal_event(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    default:
      return "SIGABRT";
  }
}

void on_fatal(int sig) {
  if (const char* p = t_plugin) write_line(p, signal_event(sig));
  // The handler was reset to the default (SA_RESETHAND): this ends the process as the signal would have.
  ::raise(sig);
}

}  // namespace

Scope::Scope(const char* plugin) noexcept : previous_(t_plugin) {
  t_plugin = plugin;
}
Scope::~Scope() {
  t_plugin = previous_;
}

void install(const std::filesystem::path& data_dir) {
  if (g_fd < 0) g_fd = ::open((data_dir / "crashes.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  struct sigaction sa {};
  sa.sa_handler = on_fatal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_NODEFER;
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::sigaction(sig, &sa, nullptr);
}

void record_hang(std::string_view plugin) {
  std::lock_guard lock(g_write_mutex);
  const std::string name(plugin);
  write_line(name.c_str(), "hang");
}

void record_clear(const std::filesystem::path& data_dir, std::string_view plugin) {
  std::lock_guard lock(g_write_mutex);
  std::ofstream out(data_dir / "crashes.log", std::ios::app);
  out << now_ms() << ' ' << plugin << " clear\n";
}

std::vector<Quarantined> quarantined(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / "crashes.log");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.size() > 200) continue;  // not ours
    lines.push_back(std::move(line));
    if (lines.size() > kMaxLines) lines.erase(lines.begin());
  }
  std::map<std::string, std::vector<int64_t>> events;  // since each plugin's last clear
  for (const auto& line : lines) {
    const size_t a = line.find(' ');
    const size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
    if (b == std::string::npos) continue;
    int64_t ms = 0;
    bool digits = a > 0 && a < 19;
    for (size_t i = 0; digits && i < a; ++i) {
      digits = line[i] >= '0' && line[i] <= '9';
      ms = ms * 10 + (line[i] - '0');
    }
    if (!digits) continue;
    const std::string plugin = line.substr(a + 1, b - a - 1);
    const std::string event = line.substr(b + 1);
    if (event == "clear") {
      events.erase(plugin);
    } else {
      events[plugin].push_back(ms);
    }
  }
  const int64_t window = std::chrono::duration_cast<std::chrono::milliseconds>(kQuarantineWindow).count();
  std::vector<Quarantined> out;
  for (const auto& [plugin, times] : events) {
    // Any kQuarantineAfter events within one window.
    for (size_t i = 0; i + kQuarantineAfter <= times.size(); ++i) {
      if (times[i + kQuarantineAfter - 1] - times[i] <= window) {
        out.push_back(Quarantined{plugin, static_cast<int>(times.size()), times.back()});
        break;
      }
    }
  }
  return out;
}

}  // namespace kazasu::crash
