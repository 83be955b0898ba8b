#include "mqtt/broker_errors.hpp"

#include <MQTTAsync.h>
#include <MQTTReasonCodes.h>

namespace kazasu {

std::string broker_failure_words(int return_code, int reason_code) {
  switch (reason_code) {
    case MQTTREASONCODE_BAD_USER_NAME_OR_PASSWORD:
      return "the broker refused the user name or password ([mqtt] credentials_file)";
    case MQTTREASONCODE_NOT_AUTHORIZED:
      return "the broker refused this station: not authorized (check its ACL and the client certificate)";
    case MQTTREASONCODE_CLIENT_IDENTIFIER_NOT_VALID:
      return "the broker refused the client id ([mqtt] client_id)";
    case MQTTREASONCODE_SERVER_UNAVAILABLE:
    case MQTTREASONCODE_SERVER_BUSY:
      return "the broker is unavailable or busy; retrying";
    case MQTTREASONCODE_BANNED:
      return "the broker has banned this client";
    case MQTTREASONCODE_UNSUPPORTED_PROTOCOL_VERSION:
      return "the broker does not speak MQTT 5 (mosquitto 1.6 or later does)";
    case MQTTREASONCODE_SESSION_TAKEN_OVER:
      return "another client connected with this station's client id and took its session";
    case MQTTREASONCODE_PACKET_TOO_LARGE:
      return "the broker refused a packet as too large (its max_packet_size)";
    default:
      break;
  }
  if (reason_code >= 128) {
    const char* text = MQTTReasonCode_toString(static_cast<MQTTReasonCodes>(reason_code));
    return std::string("the broker answered: ") + (text != nullptr ? text : "an error") + " (reason code " +
           std::to_string(reason_code) + ")";
  }
  // MQTT 3 CONNACK refusals, as Paho reports them.
  switch (return_code) {
    case MQTTASYNC_FAILURE:
      return "no connection: the broker is not reachable, refused the TCP connection, or the TLS handshake failed";
    case MQTTASYNC_DISCONNECTED:
      return "the connection to the broker was lost";
    case 4:
      return "the broker refused the user name or password ([mqtt] credentials_file)";
    case 5:
      return "the broker refused this station: not authorized";
    default:
      break;
  }
  const char* text = MQTTAsync_strerror(return_code);
  return std::string("the MQTT library reported: ") + (text != nullptr ? text : "an error") + " (code " +
         std::to_string(return_code) + ")";
}

}  // namespace kazasu
