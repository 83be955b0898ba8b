#include "service/daemon.hpp"

#include "core/log.hpp"
#include "service/data_dir.hpp"
#include "service/station.hpp"

namespace kazasu {

int run_daemon(const Config& cfg) {
  log::set_level(cfg.station.log_level);
  // Before anything creates a file: ledgers readable by the service user only.
  prepare_data_dir(cfg.station.data_dir);
  Station station(cfg);
  return station.run();
}

}  // namespace kazasu
