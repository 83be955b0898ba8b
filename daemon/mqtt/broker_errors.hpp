// Broker failures in words for IT staff: Paho's return codes and MQTT v5
// reason codes ("rc=-1", "135") mean nothing in a log or `systemctl status`.
#pragma once

#include <string>

namespace kazasu {

/** A sentence for a failed broker operation from Paho's return code and the MQTT v5 reason code (0: none). */
std::string broker_failure_words(int return_code, int reason_code);

}  // namespace kazasu
