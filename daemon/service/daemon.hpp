// kazasud's wiring: one io_context, the readers, the dispatcher, the plugin
// host, the outboxes and the publisher, started in the order a tap meets them
// and stopped in reverse.
#pragma once

#include "config/config.hpp"

namespace kazasu {

/**
 * Runs the daemon until SIGTERM/SIGINT; returns the process exit code.
 * Throws on start-up failure. A reload (SIGHUP, or `reload` on the control
 * socket) checks `config_file` whole; when it is good, the running station
 * stops as for SIGTERM but keeps its `online` status, and a new one starts
 * with the new config: taps in flight commit first, the outboxes carry
 * everything not yet delivered over to it, and the broker session resumes.
 */
int run_daemon(const std::string& config_file, Config cfg);

}  // namespace kazasu
