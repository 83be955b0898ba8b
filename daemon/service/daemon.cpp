#include "service/daemon.hpp"

#include <cstdlib>
#include <ctime>
#include <optional>

#include "core/log.hpp"
#include "dispatch/crash_log.hpp"
#include "service/data_dir.hpp"
#include "service/station.hpp"

namespace kazasu {

int run_daemon(const std::string& config_file, Config cfg) {
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
