// Which plugin brought kazasud down. A plugin that segfaults takes the whole
// process with it; systemd restarts kazasud (Restart=on-failure), and a plugin
// that does it again and again would turn that into a restart loop that stops
// every other plugin's taps too. The fatal-signal handler writes the plugin
// running on the faulting thread to data_dir/crashes.log (append-only lines
// "unix_ms plugin event"), the watchdog writes a plugin it finds stuck, and at
// start a plugin with kQuarantineAfter such lines within kQuarantineWindow
// since it was last cleared is not loaded (quarantined) until staff clear it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kazasu::crash {

inline constexpr int kQuarantineAfter = 3;
inline constexpr std::chrono::minutes kQuarantineWindow{10};

/** Marks the calling thread as running inside `plugin` (a string that outlives the scope). */
class Scope {
 public:
  explicit Scope(const char* plugin) noexcept;
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  const char* previous_;
};

/** Opens data_dir/crashes.log and installs the handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT. */
void install(const std::filesystem::path& data_dir);
/** The watchdog found `plugin` stuck (systemd will kill kazasud unless it returns). */
void record_hang(std::string_view plugin);
/** Staff cleared `plugin`: earlier crashes no longer count. */
void record_clear(const std::filesystem::path& data_dir, std::string_view plugin);

struct Quarantined {
  std::string plugin;
  int events = 0;       // crashes and hangs within the window
  int64_t last_ms = 0;  // the last of them
};
/** The plugins to keep unloaded, from data_dir/crashes.log. */
std::vector<Quarantined> quarantined(const std::filesystem::path& data_dir);

}  // namespace kazasu::crash
