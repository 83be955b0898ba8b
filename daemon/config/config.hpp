// kazasud's configuration: one TOML file (toml++), validated whole before any
// of it is used. Every problem is reported as `FILE:LINE: key: what is wrong`,
// unknown keys included, so IT staff can fix a file without reading code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/log.hpp"

namespace kazasu {

struct ConfigError {
  std::string file;
  int line = 0;     // 0 when the problem is the file itself
  std::string key;  // dotted path, e.g. "readers.counter-1.driver"
  std::string what;
  [[nodiscard]] std::string str() const;
};

class ConfigException : public std::runtime_error {
 public:
  explicit ConfigException(std::vector<ConfigError> errors);
  [[nodiscard]] const std::vector<ConfigError>& errors() const { return errors_; }

 private:
  std::vector<ConfigError> errors_;
};

struct StationConfig {
  std::string site;
  std::string name;
  std::filesystem::path data_dir;
  std::filesystem::path secret_file;
  int secret_file_line = 0;  // line of secret_file, or of [station] when it is defaulted
  std::filesystem::path control_socket;
  std::filesystem::path plugin_dir;
  log::Level log_level = log::Level::info;
  std::string timezone;  // e.g. "Asia/Tokyo"; empty: the system's (TZ or /etc/localtime)
};

struct MqttConfig {
  std::string uri;
  std::string client_id;
  int keepalive_s = 30;
  int session_expiry_s = 3600;                   // broker keeps our subscription (commands) this long
  size_t max_command_bytes = size_t{64} * 1024;  // larger requests get `payload_too_large`
  int command_rate = 500;                        // commands a second per facility PC; 0: no limit
  int command_burst = 2000;                      // ... after a burst of this many (`rate_limited` past it)
  std::filesystem::path ca_file;                 // TLS: trust anchors for the broker (ssl:// or mqtts://)
  std::filesystem::path cert_file;               // TLS: optional client certificate ...
  std::filesystem::path key_file;                // ... and its key
  std::filesystem::path credentials_file;        // owner-only TOML file with username and password
  std::string username;
  std::string password;
  /** True for ssl://, mqtts:// and wss:// URIs. */
  [[nodiscard]] bool encrypted() const;
};

/** The durable outbox's cap: an alarm is published and logged near it; nothing is dropped. */
struct OutboxConfig {
  int64_t cap = 100000;  // pending outcomes across all outboxes
  int alarm_percent = 80;
};

/** [storage]: the data directory's disk. */
struct StorageConfig {
  int64_t alarm_free_mb = 256;  // daemon/alarm storage_low below this much free space; 0: off
};

/** [shared]: records the stations of a city share (docs/shared.md). */
struct SharedConfig {
  std::string engine = "sqlite";        // "sqlite" or "postgresql"
  std::filesystem::path sqlite_file;    // engine sqlite; default: data_dir/shared.db
  std::string conninfo;                 // engine postgresql: libpq keywords (host, port, dbname, user, sslmode, ...)
  std::filesystem::path password_file;  // owner-only file holding the PostgreSQL password
  std::string password;
  int deadline_ms = 1500;  // every call to the engine answers within this, or says unavailable
};

struct PluginConfig {
  std::string name;
  std::filesystem::path path;
  int budget_ms = 2000;
  int line = 0;                                        // line of [plugins.NAME]
  nlohmann::json settings = nlohmann::json::object();  // [plugins.NAME.config] as JSON
  std::map<std::string, int> setting_lines;            // key -> line, for error messages
  std::vector<std::string> permissions;                // granted by IT staff, e.g. "card.basic_info"
  bool broker_encrypted = false;                       // from [mqtt] uri, for host->broker_encrypted
  [[nodiscard]] bool granted(const std::string& permission) const;
};

struct ReaderConfig {
  std::string name;
  std::string driver;  // "sim" (more drivers come with their issues)
  std::vector<std::string> plugins;
  std::vector<std::string> accept;  // card kinds: "jpki", "freearea", "uid"
  std::string level = "fast";       // "fast", "verified", "possession"
  std::string pcsc_reader;          // driver "pcsc": PC/SC reader name, exact or prefix
  bool feedback = false;            // driver "pcsc": beep/LED through SCardControl
  int line = 0;
};

/** [identify.*]: what the identifiers need (docs/identify.md). */
struct IdentifyConfig {
  std::vector<std::filesystem::path> trust_anchors;  // [identify.jpki] PEM files
  std::vector<unsigned char> freearea_aid;           // [identify.freearea]; empty: none configured
  uint16_t freearea_ef = 0x0001;
  std::vector<unsigned char> freearea_tag = {0x80};
  int pin_timeout_ms = 10000;  // [identify.pin] how long a possession read waits for a PIN
  int pin_ttl_ms = 60000;      // [identify.pin] how long an armed PIN stays usable
  // [identify.pin] how long a basic-four read waits for a card-face PIN not
  // armed before the tap; 0: read only when one was armed, so a reader that
  // also serves holders who need no basic four never stalls.
  int basic_info_pin_timeout_ms = 0;
};

/** A simulated card, tapped with `kazasuctl tap --card NAME` on a sim reader. */
struct SimCardConfig {
  std::string name;
  std::string kind;           // "jpki", "freearea", "uid"
  std::string issuer;         // certificate issuer DN or free-area AID
  std::string subject;        // serial, free-area ID or UID
  std::string result = "ok";  // or a failure reason the read ends with
  std::string message;
};

struct Config {
  std::filesystem::path file;
  StationConfig station;
  MqttConfig mqtt;
  OutboxConfig outbox;
  StorageConfig storage;
  SharedConfig shared;
  std::vector<PluginConfig> plugins;
  std::vector<ReaderConfig> readers;
  IdentifyConfig identify;
  std::map<std::string, SimCardConfig> sim_cards;
  std::filesystem::path stage_log;  // empty: off
  bool settable_clock = false;      // tests only: `kazasuctl clock set` shifts the wall clock
};

/** Reads and validates a config file; throws ConfigException listing every problem. */
Config load_config(const std::filesystem::path& file);

/**
 * The same, without throwing for problems in the file: they are appended to
 * `errors` (sorted by line) and the Config holds what could be read, so
 * `--check-config` can go on to check plugin settings and the secret.
 */
Config load_config(const std::filesystem::path& file, std::vector<ConfigError>& errors);

/** The plugin directory compiled in (install prefix), used when the config names none. */
std::filesystem::path default_plugin_dir();

}  // namespace kazasu
