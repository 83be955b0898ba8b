// systemd readiness and watchdog (Type=notify; Debian 12 ships systemd 252,
// so no Type=notify-reload). Every call is a no-op outside systemd.
#pragma once

#include <chrono>
#include <string>

namespace kazasu::notify {

void ready(const std::string& status);
void stopping();
/** RELOADING=1: systemd waits for the next ready() (ExecReload sends SIGHUP). */
void reloading();
/** STATUS=: the one line `systemctl status` shows. */
void status(const std::string& text);
void watchdog();
/** Half the watchdog interval systemd asked for, or zero when there is none. */
std::chrono::microseconds watchdog_period();

}  // namespace kazasu::notify
