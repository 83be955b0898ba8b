// The library plugin's settings: declared for the host (which checks types,
// unknown keys and integer ranges with FILE:LINE errors) and read into a
// struct, where the rules that tie two keys together are checked.
#pragma once

#include <kazasu/plugin.h>
#include <kazasu/reader_names.hpp>

#include <cstdint>
#include <string>

namespace kazasu::library {

inline constexpr kazasu_setting kLibrarySettings[] = {
    {"counter_reader", KAZASU_SETTING_STRING, "\"\"",
     "Reader that library/cmd/link arms when the command names none (the counter's reader).", 0, 0},
    {"link_timeout_s", KAZASU_SETTING_INTEGER, "120",
     "Seconds an armed reader waits for the patron's tap before the link request lapses.", 5, 3600},
    {"link_min_assurance", KAZASU_SETTING_STRING, "\"possession\"",
     "Lowest assurance a linking tap needs: fast, verified or possession (possession recommended).", 0, 0},
    {"sync_interval_s", KAZASU_SETTING_INTEGER, "30",
     "Seconds between pushes of links made while the city's shared link database was away.", 1, 3600},
    {"sip2_host", KAZASU_SETTING_STRING, "\"\"", "Host of the ILS's SIP2 server; empty turns the ILS check off.", 0, 0},
    {"sip2_port", KAZASU_SETTING_INTEGER, "6001", "TCP port of the SIP2 server.", 1, 65535},
    {"sip2_login", KAZASU_SETTING_STRING, "\"\"", "SIP2 login user id (93 CN); empty sends no login.", 0, 0},
    {"sip2_password", KAZASU_SETTING_STRING, "\"\"", "SIP2 login password (93 CO).", 0, 0},
    {"sip2_location", KAZASU_SETTING_STRING, "\"\"", "SIP2 location code sent with the login (93 CP).", 0, 0},
    {"sip2_institution", KAZASU_SETTING_STRING, "\"\"", "SIP2 institution id (AO).", 0, 0},
    {"sip2_charset", KAZASU_SETTING_STRING, "\"\"",
     "Character set the ILS speaks (an iconv name: UTF-8, CP932, IBM850, ISO-8859-1); required with sip2_host.", 0, 0},
    {"sip2_timeout_ms", KAZASU_SETTING_INTEGER, "800",
     "Time for the whole SIP2 exchange of one tap; keep it well below the plugin's budget_ms.", 50, 30000},
    {"sip2_message", KAZASU_SETTING_STRING, "\"patron_information\"",
     "SIP2 request: patron_information (63/64, with counts and limits) or patron_status (23/24).", 0, 0},
    {"sip2_screen_messages", KAZASU_SETTING_BOOLEAN, "false",
     "Forward the ILS's free-text screen messages in library/patron; they may carry the patron's name, so off by "
     "default.",
     0, 0},
    {"sip2_error_detection", KAZASU_SETTING_BOOLEAN, "true",
     "Add the sequence number (AY) and checksum (AZ) to requests and check them in responses.", 0, 0},
};

enum class Sip2Message { patron_information, patron_status };

struct Sip2Config {
  std::string host;  // empty: SIP2 is off
  int port = 6001;
  std::string login;
  std::string password;
  std::string location;
  std::string institution;
  std::string charset;
  int timeout_ms = 800;
  Sip2Message message = Sip2Message::patron_information;
  bool error_detection = true;
  bool screen_messages = false;  // free text from the ILS: may name the patron

  [[nodiscard]] bool enabled() const { return !host.empty(); }
};

/** Timer ids of the library plugin. */
inline constexpr uint64_t kSyncTimer = 1;

struct LibraryConfig {
  std::string counter_reader;
  int64_t link_timeout_ms = 120000;
  std::string link_min_assurance = "possession";  // the holder's PIN: libraries' rules since 2024-05-27
  int64_t sync_interval_ms = 30000;
  Sip2Config sip2;
};

/**
 * Reads the host's config JSON (defaults already filled in). Throws
 * std::invalid_argument naming the key for what the host cannot check alone
 * (a missing sip2_charset, an unknown charset or choice).
 */
LibraryConfig parse_config(const std::string& config_json);

/** Rank of an assurance level for link_min_assurance; -1 when unknown. */
int assurance_rank(const std::string& level);

}  // namespace kazasu::library
