#include "service/daemon.hpp"

#include <malloc.h>
#include <sqlite3.h>

#include <cstdlib>
#include <ctime>
#include <optional>

#include "core/log.hpp"
#include "dispatch/crash_log.hpp"
#include "service/data_dir.hpp"
#include "service/station.hpp"

namespace kazasu {

namespace {

// A station's memory is mostly caches that grow with the first taps and never
// shrink: SQLite keeps up to 2 MiB of pages per connection (two per plugin
// file, the daemon's and the audit log's), and glibc gives each thread that
// allocates its own arena. A soft limit on SQLite's heap makes it reuse its
// cache pages instead (the files stay in the OS page cache, so a miss costs a
// copy, not a disk read), and two arenas are enough for one io thread and the
// plugin pool. Measured in bench/footprint.
constexpr sqlite3_int64 kSqliteSoftHeapLimit = sqlite3_int64{4} * 1024 * 1024;
constexpr int kMallocArenas = 2;

void bound_caches() {
  ::mallopt(M_ARENA_MAX, kMallocArenas);
  sqlite3_soft_heap_limit64(kSqliteSoftHeapLimit);
}

}  // namespace

int run_daemon(const std::string& config_file, Config cfg) {
  bound_caches();
  std::optional<ReloadFacts> reload;
  while (true) {
    log::set_level(cfg.station.log_level);
    if (!cfg.station.timezone.empty()) {
      // Before any thread of this station starts: localtime_r reads TZ.
      ::setenv("TZ", cfg.station.timezone.c_str(), 1);
      ::tzset();
    }
    // Before anything creates a file: ledgers readable by the service user only.
    prepare_data_dir(cfg.station.data_dir);
    crash::install(cfg.station.data_dir);
    std::optional<Config> next;
    int rc = 0;
    {
      Station station(cfg, config_file, reload);
      rc = station.run();
      next = station.take_reload();
      reload = station.reload_facts();
    }
    if (!next) return rc;
    cfg = std::move(*next);
    log::notice("starting with the reloaded configuration", "file", config_file);
  }
}

}  // namespace kazasu
