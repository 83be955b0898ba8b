#include "config/config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>

#include "config/toml_reader.hpp"
#include "core/text_checks.hpp"

#ifndef KAZASU_DEFAULT_PLUGIN_DIR
#define KAZASU_DEFAULT_PLUGIN_DIR "/usr/lib/kazasu/plugins"
#endif

namespace kazasu {
namespace fs = std::filesystem;

bool PluginConfig::granted(const std::string& permission) const {
  return std::find(permissions.begin(), permissions.end(), permission) != permissions.end();
}

bool MqttConfig::encrypted() const {
  return uri.starts_with("ssl://") || uri.starts_with("mqtts://") || uri.starts_with("wss://");
}

std::string ConfigError::str() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += what;
  return out;
}

namespace {
std::string join_errors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += '\n';
    out += e.str();
  }
  return out;
}

// Names that become MQTT topic segments must not contain '/', '+' or '#'.
bool topic_safe(const std::string& s) {
  return text::is_topic_safe(s);
}
bool plugin_name_ok(const std::string& s) {
  return text::is_identifier(s);
}
bool hex_ok(const std::string& s) {
  return text::is_hex_bytes(s, 4096);
}

// scheme://rest, with no space in rest: the URIs Paho takes.
bool broker_uri_ok(std::string_view v) {
  constexpr std::string_view kSchemes[] = {"tcp://", "ssl://", "mqtt://", "mqtts://", "ws://", "wss://"};
  if (v.size() > 2048) return false;
  for (auto scheme : kSchemes) {
    if (v.substr(0, scheme.size()) != scheme) continue;
    const auto rest = v.substr(scheme.size());
    return !rest.empty() && rest.find(' ') == std::string_view::npos;
  }
  return false;
}

// Topic segments under the station root that belong to the daemon itself.
constexpr std::string_view kReservedPluginNames[] = {"status", "readers", "daemon"};
// What IT staff may grant a plugin beyond a token (design.md "Cards").
constexpr std::string_view kPermissions[] = {"card.basic_info"};

constexpr std::string_view kDefaultJpkiIssuer =
    "C=JP, O=JPKI-TEST, OU=JPKI for user authentication, OU=Japan Agency for Local Authority Information Systems";

fs::path resolve(const fs::path& base_dir, const std::string& p) {
  fs::path path(p);
  return path.is_absolute() ? path : (base_dir / path).lexically_normal();
}

nlohmann::json to_json(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return n.as_string()->get();
    case toml::node_type::integer:
      return n.as_integer()->get();
    case toml::node_type::floating_point:
      return n.as_floating_point()->get();
    case toml::node_type::boolean:
      return n.as_boolean()->get();
    case toml::node_type::array: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& item : *n.as_array()) a.push_back(to_json(item));
      return a;
    }
    case toml::node_type::table: {
      nlohmann::json o = nlohmann::json::object();
      for (auto&& [k, v] : *n.as_table()) o[std::string(k.str())] = to_json(v);
      return o;
    }
    default: {
      // Dates and times travel as their TOML text.
      std::ostringstream s;
      n.visit([&s](const auto& v) {
        if constexpr (toml::is_value<decltype(v)>) s << v;
      });
      return s.str();
    }
  }
}

void read_station(TomlReader& r, const toml::table& root, const fs::path& base, Config& cfg) {
  const toml::table* t = r.table(root, "", "station");
  if (t == nullptr) {
    if (root.get("station") == nullptr) r.error(0, "station", "required table [station] is missing");
    return;
  }
  const int line = TomlReader::line_of(*t);
  r.unknown_keys(*t, "station",
                 {"site", "name", "data_dir", "secret_file", "control_socket", "plugin_dir", "log_level", "timezone"});
  auto& s = cfg.station;
  for (auto [key, dest] : {std::pair{"site", &s.site}, std::pair{"name", &s.name}}) {
    if (auto v = r.string(*t, "station", key, line, true)) {
      if (topic_safe(*v)) {
        *dest = *v;
      } else {
        r.error(TomlReader::line_of(*t->get(key)), std::string("station.") + key,
                "\"" + *v + "\" must be 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-'");
      }
    }
  }
  s.data_dir = resolve(base, r.string(*t, "station", "data_dir", line, false).value_or("/var/lib/kazasu"));
  s.secret_file =
      resolve(base, r.string(*t, "station", "secret_file", line, false).value_or("/etc/kazasu/site.secret"));
  s.secret_file_line = t->get("secret_file") != nullptr ? TomlReader::line_of(*t->get("secret_file")) : line;
  s.control_socket =
      resolve(base, r.string(*t, "station", "control_socket", line, false).value_or("/run/kazasu/control.sock"));
  s.plugin_dir =
      resolve(base, r.string(*t, "station", "plugin_dir", line, false).value_or(default_plugin_dir().string()));
  // Day, month and fiscal-year boundaries (attendance, daily counts) follow
  // the station's zone; naming it here keeps them right on a PC set to UTC.
  if (auto tz = r.string(*t, "station", "timezone", line, false)) {
    if (tz->empty() || tz->find("..") != std::string::npos ||
        !fs::is_regular_file(fs::path("/usr/share/zoneinfo") / *tz)) {
      r.error(TomlReader::line_of(*t->get("timezone")), "station.timezone",
              "\"" + *tz + "\" is not a time zone this system knows (e.g. \"Asia/Tokyo\")");
    } else {
      s.timezone = *tz;
    }
  }
  if (auto lvl = r.choice(*t, "station", "log_level", {"error", "warning", "notice", "info", "debug"}, line, false)) {
    log::parse_level(*lvl, s.log_level);
  }
}

// The broker password lives in its own owner-only file so the config can be
// world-readable: `username = "..."` and `password = "..."` in TOML.
void read_credentials(TomlReader& r, int line, MqttConfig& m) {
  const std::string file = m.credentials_file.string();
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    r.error(line, "mqtt.credentials_file", file + ": " + std::strerror(errno));
    return;
  }
  if ((st.st_mode & 077) != 0) {
    r.error(line, "mqtt.credentials_file", file + " must be readable by its owner only (chmod 600 " + file + ")");
    return;
  }
  try {
    const toml::table creds = toml::parse_file(file);
    TomlReader cr(file);
    cr.unknown_keys(creds, "", {"username", "password"});
    m.username = cr.string(creds, "", "username", 1, true).value_or("");
    m.password = cr.string(creds, "", "password", 1, true).value_or("");
    for (auto& e : cr.errors()) r.errors().push_back(std::move(e));
  } catch (const toml::parse_error& e) {
    r.errors().push_back(ConfigError{file, static_cast<int>(e.source().begin.line), "", std::string(e.description())});
  }
}

void read_mqtt(TomlReader& r, const toml::table& root, const fs::path& base, Config& cfg) {
  cfg.mqtt.uri = "tcp://127.0.0.1:1883";
  const toml::table* t = r.table(root, "", "mqtt");
  if (t != nullptr) {
    const int line = TomlReader::line_of(*t);
    r.unknown_keys(*t, "mqtt",
                   {"uri", "client_id", "keepalive_s", "session_expiry_s", "max_command_bytes", "command_rate",
                    "command_burst", "ca_file", "cert_file", "key_file", "credentials_file"});
    if (auto v = r.integer(*t, "mqtt", "session_expiry_s", 0, int64_t{7} * 86400))
      cfg.mqtt.session_expiry_s = static_cast<int>(*v);
    if (auto v = r.integer(*t, "mqtt", "max_command_bytes", 64, int64_t{16} * 1024 * 1024)) {
      cfg.mqtt.max_command_bytes = static_cast<size_t>(*v);
    }
    if (auto v = r.integer(*t, "mqtt", "command_rate", 0, 1000000)) cfg.mqtt.command_rate = static_cast<int>(*v);
    if (auto v = r.integer(*t, "mqtt", "command_burst", 1, 1000000)) cfg.mqtt.command_burst = static_cast<int>(*v);
    for (auto [key, dest] :
         {std::pair{"ca_file", &cfg.mqtt.ca_file}, std::pair{"cert_file", &cfg.mqtt.cert_file},
          std::pair{"key_file", &cfg.mqtt.key_file}, std::pair{"credentials_file", &cfg.mqtt.credentials_file}}) {
      if (auto v = r.string(*t, "mqtt", key, line, false)) {
        *dest = resolve(base, *v);
        if (!fs::exists(*dest)) {
          r.error(TomlReader::line_of(*t->get(key)), std::string("mqtt.") + key, dest->string() + " does not exist");
        }
      }
    }
    if (cfg.mqtt.cert_file.empty() != cfg.mqtt.key_file.empty()) {
      r.error(line, "mqtt.key_file", "cert_file and key_file go together");
    }
    if (!cfg.mqtt.credentials_file.empty() && fs::exists(cfg.mqtt.credentials_file)) {
      read_credentials(r, TomlReader::line_of(*t->get("credentials_file")), cfg.mqtt);
    }
    if (auto v = r.string(*t, "mqtt", "uri", line, false)) {
      if (broker_uri_ok(*v)) {
        cfg.mqtt.uri = *v;
      } else {
        r.error(TomlReader::line_of(*t->get("uri")), "mqtt.uri",
                "\"" + *v + "\" is not a broker URI such as tcp://127.0.0.1:1883");
      }
    }
    if (auto v = r.string(*t, "mqtt", "client_id", line, false)) cfg.mqtt.client_id = *v;
    if (auto v = r.integer(*t, "mqtt", "keepalive_s", 1, 3600)) cfg.mqtt.keepalive_s = static_cast<int>(*v);
  }
  if (cfg.mqtt.client_id.empty()) cfg.mqtt.client_id = "kazasu-" + cfg.station.site + "-" + cfg.station.name;
  const bool tls = cfg.mqtt.encrypted();
  if (!tls && (!cfg.mqtt.ca_file.empty() || !cfg.mqtt.cert_file.empty()) && t != nullptr) {
    r.error(TomlReader::line_of(*t), "mqtt.uri", "TLS files are set but the URI is not ssl:// or mqtts://");
  }
}

void read_outbox(TomlReader& r, const toml::table& root, Config& cfg) {
  const toml::table* t = r.table(root, "", "outbox");
  if (t == nullptr) return;
  r.unknown_keys(*t, "outbox", {"cap", "alarm_percent"});
  if (auto v = r.integer(*t, "outbox", "cap", 1, 1'000'000'000)) cfg.outbox.cap = *v;
  if (auto v = r.integer(*t, "outbox", "alarm_percent", 1, 100)) cfg.outbox.alarm_percent = static_cast<int>(*v);
}

void read_storage(TomlReader& r, const toml::table& root, Config& cfg) {
  const toml::table* t = r.table(root, "", "storage");
  if (t == nullptr) return;
  r.unknown_keys(*t, "storage", {"alarm_free_mb"});
  if (auto v = r.integer(*t, "storage", "alarm_free_mb", 0, 1'000'000)) cfg.storage.alarm_free_mb = *v;
}

void read_shared(TomlReader& r, const toml::table& root, const fs::path& base, Config& cfg) {
  cfg.shared.sqlite_file = cfg.station.data_dir / "shared.db";
  const toml::table* t = r.table(root, "", "shared");
  if (t == nullptr) return;
  const int line = TomlReader::line_of(*t);
  r.unknown_keys(*t, "shared", {"engine", "sqlite_file", "conninfo", "password_file", "deadline_ms"});
  if (auto v = r.string(*t, "shared", "engine", line, false)) {
    if (*v == "sqlite" || *v == "postgresql") {
      cfg.shared.engine = *v;
    } else {
      r.error(TomlReader::line_of(*t->get("engine")), "shared.engine", "\"" + *v + "\" is not sqlite or postgresql");
    }
  }
  if (auto v = r.string(*t, "shared", "sqlite_file", line, false)) cfg.shared.sqlite_file = resolve(base, *v);
  if (auto v = r.string(*t, "shared", "conninfo", line, false)) {
    // libpq parses it; a password in it would put a secret in a readable file.
    if (v->size() > 4096) {
      r.error(TomlReader::line_of(*t->get("conninfo")), "shared.conninfo", "longer than 4096 bytes");
    } else if (v->find("password") != std::string::npos) {
      r.error(TomlReader::line_of(*t->get("conninfo")), "shared.conninfo",
              "holds a password; put it in password_file (owner-only) instead");
    } else {
      cfg.shared.conninfo = *v;
    }
  }
  if (auto v = r.integer(*t, "shared", "deadline_ms", 50, 60000)) cfg.shared.deadline_ms = static_cast<int>(*v);
  if (auto v = r.string(*t, "shared", "password_file", line, false)) {
    cfg.shared.password_file = resolve(base, *v);
    const int pline = TomlReader::line_of(*t->get("password_file"));
    const std::string file = cfg.shared.password_file.string();
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
      r.error(pline, "shared.password_file", file + ": " + std::strerror(errno));
    } else if ((st.st_mode & 077) != 0) {
      r.error(pline, "shared.password_file", file + " must be readable by its owner only (chmod 600 " + file + ")");
    } else if (st.st_size > 1024) {
      r.error(pline, "shared.password_file", file + " is larger than a password (1024 bytes)");
    } else {
      std::ifstream in(file, std::ios::binary);
      std::getline(in, cfg.shared.password);
      while (!cfg.shared.password.empty() &&
             (cfg.shared.password.back() == '\r' || cfg.shared.password.back() == ' ')) {
        cfg.shared.password.pop_back();
      }
    }
  }
  if (cfg.shared.engine == "postgresql" && cfg.shared.conninfo.empty()) {
    r.error(line, "shared.conninfo", "required when engine is postgresql");
  }
}

void read_plugins(TomlReader& r, const toml::table& root, Config& cfg) {
  const toml::table* plugins = r.table(root, "", "plugins");
  if (plugins == nullptr) return;
  for (auto&& [k, v] : *plugins) {
    const std::string name(k.str());
    const std::string prefix = "plugins." + name;
    if (!v.is_table()) {
      r.error(TomlReader::line_of(v), prefix,
              std::string("expected a table, found ") + TomlReader::type_name(v.type()));
      continue;
    }
    const toml::table& t = *v.as_table();
    PluginConfig p;
    p.name = name;
    p.line = TomlReader::line_of(t);
    if (!plugin_name_ok(name)) {
      r.error(p.line, prefix, "plugin names are lower-case letters, digits and '_', starting with a letter");
    }
    if (std::find(std::begin(kReservedPluginNames), std::end(kReservedPluginNames), name) !=
        std::end(kReservedPluginNames)) {
      r.error(p.line, prefix, "\"" + name + "\" is reserved for the daemon's own topics");
    }
    r.unknown_keys(t, prefix, {"path", "budget_ms", "config", "permissions"});
    if (auto perms = r.string_list(t, prefix, "permissions")) {
      for (const auto& perm : *perms) {
        if (std::find(std::begin(kPermissions), std::end(kPermissions), perm) == std::end(kPermissions)) {
          r.error(TomlReader::line_of(*t.get("permissions")), prefix + ".permissions",
                  "\"" + perm + "\" is not a permission kazasud grants (card.basic_info)");
        } else if (std::find(p.permissions.begin(), p.permissions.end(), perm) == p.permissions.end()) {
          p.permissions.push_back(perm);
        }
      }
    }
    const auto path = r.string(t, prefix, "path", p.line, false);
    p.path = path ? resolve(fs::absolute(cfg.file).parent_path(), *path) : cfg.station.plugin_dir / (name + ".so");
    if (auto b = r.integer(t, prefix, "budget_ms", 1, 60000)) p.budget_ms = static_cast<int>(*b);
    if (const toml::table* c = r.table(t, prefix, "config")) {
      for (auto&& [ck, cv] : *c) {
        p.settings[std::string(ck.str())] = to_json(cv);
        p.setting_lines[std::string(ck.str())] = TomlReader::line_of(cv);
      }
    }
    cfg.plugins.push_back(std::move(p));
  }
}

// [readers.X] keys of the pcsc driver (docs/identify.md).
void read_pcsc_keys(TomlReader& r, const toml::table& t, const std::string& prefix, ReaderConfig& rc) {
  if (auto n = r.string(t, prefix, "pcsc_reader", rc.line, rc.driver == "pcsc")) rc.pcsc_reader = *n;
  if (const toml::node* f = t.get("feedback")) {
    if (auto b = f->value<bool>()) {
      rc.feedback = *b;
    } else {
      r.error(TomlReader::line_of(*f), prefix + ".feedback", "expected true or false");
    }
  }
  if (rc.driver != "pcsc") {
    for (const char* key : {"pcsc_reader", "feedback"}) {
      if (const toml::node* n = t.get(key)) {
        r.error(TomlReader::line_of(*n), prefix + "." + key, "only a reader with driver = \"pcsc\" takes this key");
      }
    }
  }
}

// Levels and kinds that need [identify.*] settings say so at their own line.
void check_identify_needs(TomlReader& r, const toml::table& t, const std::string& prefix, const ReaderConfig& rc,
                          const IdentifyConfig& id) {
  const bool jpki = std::find(rc.accept.begin(), rc.accept.end(), "jpki") != rc.accept.end();
  // The sim driver verifies nothing, so only real readers need anchors.
  if (jpki && rc.driver == "pcsc" && rc.level != "fast" && id.trust_anchors.empty()) {
    const toml::node* n = t.get("level");
    r.error(n ? TomlReader::line_of(*n) : rc.line, prefix + ".level",
            "\"" + rc.level + "\" needs trust anchors: set [identify.jpki] trust_anchors = [\"ca.pem\"]");
  }
  const bool freearea = std::find(rc.accept.begin(), rc.accept.end(), "freearea") != rc.accept.end();
  if (freearea && rc.driver == "pcsc" && id.freearea_aid.empty()) {
    const toml::node* n = t.get("accept");
    r.error(n ? TomlReader::line_of(*n) : rc.line, prefix + ".accept",
            "\"freearea\" needs [identify.freearea] aid, ef and tag");
  }
}

// Hex bytes of `key` with a length in [min_bytes, max_bytes]; reports anything else.
std::optional<std::vector<unsigned char>> hex_bytes(TomlReader& r, const toml::table& t, const std::string& prefix,
                                                    const char* key, int line, bool required, size_t min_bytes,
                                                    size_t max_bytes) {
  auto v = r.string(t, prefix, key, line, required);
  if (!v) return std::nullopt;
  const size_t n = v->size() / 2;
  if (!hex_ok(*v) || n < min_bytes || n > max_bytes) {
    r.error(TomlReader::line_of(*t.get(key)), prefix + "." + key,
            "expected " + std::to_string(min_bytes) + " to " + std::to_string(max_bytes) +
                " hex bytes such as \"D392F000\"");
    return std::nullopt;
  }
  std::vector<unsigned char> out;
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<unsigned char>(std::stoi(v->substr(i * 2, 2), nullptr, 16)));
  return out;
}

void read_identify(TomlReader& r, const toml::table& root, const fs::path& base, Config& cfg) {
  const toml::table* id = r.table(root, "", "identify");
  if (id == nullptr) return;
  r.unknown_keys(*id, "identify", {"jpki", "freearea", "pin"});
  IdentifyConfig& out = cfg.identify;
  if (const toml::table* j = r.table(*id, "identify", "jpki")) {
    r.unknown_keys(*j, "identify.jpki", {"trust_anchors"});
    if (auto files = r.string_list(*j, "identify.jpki", "trust_anchors")) {
      for (const auto& f : *files) {
        const fs::path p = resolve(base, f);
        std::error_code ec;
        if (!fs::is_regular_file(p, ec)) {
          r.error(TomlReader::line_of(*j->get("trust_anchors")), "identify.jpki.trust_anchors",
                  "\"" + p.string() + "\" is not a readable file");
        } else {
          out.trust_anchors.push_back(p);
        }
      }
    }
  }
  if (const toml::table* f = r.table(*id, "identify", "freearea")) {
    const int line = TomlReader::line_of(*f);
    r.unknown_keys(*f, "identify.freearea", {"aid", "ef", "tag"});
    // ISO 7816-4: an AID is 5 to 16 bytes; an EF id 2 bytes; a BER tag 1 or 2 here.
    if (auto aid = hex_bytes(r, *f, "identify.freearea", "aid", line, true, 5, 16)) out.freearea_aid = *aid;
    if (auto ef = hex_bytes(r, *f, "identify.freearea", "ef", line, false, 2, 2)) {
      out.freearea_ef = static_cast<uint16_t>(((*ef)[0] << 8) | (*ef)[1]);
    }
    if (auto tag = hex_bytes(r, *f, "identify.freearea", "tag", line, false, 1, 2)) out.freearea_tag = *tag;
  }
  if (const toml::table* p = r.table(*id, "identify", "pin")) {
    r.unknown_keys(*p, "identify.pin", {"timeout_ms", "ttl_ms", "basic_info_timeout_ms"});
    if (auto v = r.integer(*p, "identify.pin", "timeout_ms", 0, 300000)) out.pin_timeout_ms = static_cast<int>(*v);
    if (auto v = r.integer(*p, "identify.pin", "ttl_ms", 1000, 3600000)) out.pin_ttl_ms = static_cast<int>(*v);
    if (auto v = r.integer(*p, "identify.pin", "basic_info_timeout_ms", 0, 300000)) {
      out.basic_info_pin_timeout_ms = static_cast<int>(*v);
    }
  }
}

void read_readers(TomlReader& r, const toml::table& root, Config& cfg) {
  const toml::table* readers = r.table(root, "", "readers");
  if (readers == nullptr) return;
  std::set<std::string> plugin_names;
  for (const auto& p : cfg.plugins) plugin_names.insert(p.name);
  for (auto&& [k, v] : *readers) {
    ReaderConfig rc;
    rc.name = std::string(k.str());
    const std::string prefix = "readers." + rc.name;
    if (!v.is_table()) {
      r.error(TomlReader::line_of(v), prefix,
              std::string("expected a table, found ") + TomlReader::type_name(v.type()));
      continue;
    }
    const toml::table& t = *v.as_table();
    rc.line = TomlReader::line_of(t);
    if (!topic_safe(rc.name)) {
      r.error(rc.line, prefix, "reader names are 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-'");
    }
    r.unknown_keys(t, prefix, {"driver", "plugins", "accept", "level", "pcsc_reader", "feedback"});
    // No default driver: a simulated reader must never appear in a production
    // config by accident.
    if (auto d = r.choice(t, prefix, "driver", {"sim", "pcsc"}, rc.line, true)) rc.driver = *d;
    read_pcsc_keys(r, t, prefix, rc);
    if (auto ps = r.string_list(t, prefix, "plugins")) {
      for (const auto& p : *ps) {
        if (plugin_names.count(p) == 0) {
          r.error(TomlReader::line_of(*t.get("plugins")), prefix + ".plugins",
                  "plugin \"" + p + "\" is not configured under [plugins]");
        } else {
          rc.plugins.push_back(p);
        }
      }
    }
    rc.accept = {"jpki"};
    if (auto a = r.string_list(t, prefix, "accept")) {
      rc.accept.clear();
      for (const auto& kind : *a) {
        if (kind != "jpki" && kind != "freearea" && kind != "uid") {
          r.error(TomlReader::line_of(*t.get("accept")), prefix + ".accept",
                  "\"" + kind + "\" is not one of: jpki, freearea, uid");
        } else {
          rc.accept.push_back(kind);
        }
      }
    }
    if (auto l = r.choice(t, prefix, "level", {"fast", "verified", "possession"}, rc.line, false)) rc.level = *l;
    check_identify_needs(r, t, prefix, rc, cfg.identify);
    cfg.readers.push_back(std::move(rc));
  }
}

void read_sim_cards(TomlReader& r, const toml::table& root, Config& cfg) {
  const toml::table* sim = r.table(root, "", "sim");
  if (sim == nullptr) return;
  r.unknown_keys(*sim, "sim", {"cards"});
  const toml::table* cards = r.table(*sim, "sim", "cards");
  if (cards == nullptr) return;
  for (auto&& [k, v] : *cards) {
    SimCardConfig c;
    c.name = std::string(k.str());
    const std::string prefix = "sim.cards." + c.name;
    if (!v.is_table()) {
      r.error(TomlReader::line_of(v), prefix,
              std::string("expected a table, found ") + TomlReader::type_name(v.type()));
      continue;
    }
    const toml::table& t = *v.as_table();
    const int line = TomlReader::line_of(t);
    r.unknown_keys(t, prefix, {"kind", "issuer", "serial", "uid", "id", "aid", "result", "message"});
    const auto kind = r.choice(t, prefix, "kind", {"jpki", "freearea", "uid"}, line, true);
    if (!kind) continue;
    c.kind = *kind;
    if (c.kind == "jpki") {
      c.issuer = r.string(t, prefix, "issuer", line, false).value_or(std::string(kDefaultJpkiIssuer));
      c.subject = r.string(t, prefix, "serial", line, true).value_or("");
    } else if (c.kind == "uid") {
      c.subject = r.string(t, prefix, "uid", line, true).value_or("");
      if (!c.subject.empty() && !hex_ok(c.subject)) {
        r.error(TomlReader::line_of(*t.get("uid")), prefix + ".uid", "expected hex bytes such as \"04A1B2C3\"");
      }
    } else {
      c.issuer = r.string(t, prefix, "aid", line, true).value_or("");
      c.subject = r.string(t, prefix, "id", line, true).value_or("");
    }
    if (auto res = r.string(t, prefix, "result", line, false)) c.result = *res;
    if (auto m = r.string(t, prefix, "message", line, false)) c.message = *m;
    cfg.sim_cards[c.name] = std::move(c);
  }
}

}  // namespace

ConfigException::ConfigException(std::vector<ConfigError> errors)
    : std::runtime_error(join_errors(errors)), errors_(std::move(errors)) {}

fs::path default_plugin_dir() {
  return KAZASU_DEFAULT_PLUGIN_DIR;
}

Config load_config(const fs::path& file) {
  std::vector<ConfigError> errors;
  Config cfg = load_config(file, errors);
  if (!errors.empty()) throw ConfigException(std::move(errors));
  return cfg;
}

Config load_config(const fs::path& file, std::vector<ConfigError>& errors) {
  const std::string name = file.string();
  Config cfg;
  cfg.file = file;
  {
    std::ifstream probe(file);
    if (!probe) {
      errors.push_back(ConfigError{name, 0, "", std::string("cannot open: ") + std::strerror(errno)});
      return cfg;
    }
  }
  toml::table root;
  try {
    root = toml::parse_file(name);
  } catch (const toml::parse_error& e) {
    errors.push_back(ConfigError{name, static_cast<int>(e.source().begin.line), "", std::string(e.description())});
    return cfg;
  }

  TomlReader r(name);
  r.unknown_keys(
      root, "",
      {"station", "mqtt", "outbox", "plugins", "readers", "sim", "diagnostics", "identify", "storage", "shared"});
  const fs::path base = fs::absolute(file).parent_path();
  read_station(r, root, base, cfg);
  read_mqtt(r, root, base, cfg);
  read_outbox(r, root, cfg);
  read_storage(r, root, cfg);
  read_shared(r, root, base, cfg);
  read_plugins(r, root, cfg);
  read_identify(r, root, base, cfg);
  read_readers(r, root, cfg);
  read_sim_cards(r, root, cfg);
  if (const toml::table* d = r.table(root, "", "diagnostics")) {
    r.unknown_keys(*d, "diagnostics", {"stage_log", "settable_clock"});
    if (const toml::node* n = d->get("settable_clock")) {
      if (n->is_boolean()) {
        cfg.settable_clock = n->as_boolean()->get();
      } else {
        r.error(TomlReader::line_of(*n), "diagnostics.settable_clock",
                std::string("expected a boolean, found ") + TomlReader::type_name(n->type()));
      }
    }
    if (auto s = r.string(*d, "diagnostics", "stage_log", TomlReader::line_of(*d), false)) {
      cfg.stage_log = resolve(base, *s);
    }
  }
  auto& found = r.errors();
  std::stable_sort(found.begin(), found.end(),
                   [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
  errors.insert(errors.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  return cfg;
}

}  // namespace kazasu
