// kazasud's wiring: one io_context, the readers, the dispatcher, the plugin
// host, the outboxes and the publisher, started in the order a tap meets them
// and stopped in reverse.
#pragma once

#include "config/config.hpp"

namespace kazasu {

/** Runs the daemon until SIGTERM/SIGINT; returns the process exit code. Throws on start-up failure. */
int run_daemon(const Config& cfg);

}  // namespace kazasu
