#include "options.hpp"

#include <sys/stat.h>

#include <toml++/toml.h>
#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

namespace kazasu::desk {

namespace fs = std::filesystem;

std::string usage() {
  return R"(usage: kazasu-desk --site SITE --station STATION [options]

Serves the staff's desk page and bridges it to one station's MQTT topics.

  --site SITE, --station STATION   the station (kazasu/v1/SITE/STATION/...)
  --broker URI                     tcp://HOST:PORT or ssl://HOST:PORT (default tcp://127.0.0.1:1883)
  --credentials FILE               broker login, TOML: username = "...", password = "..." (mode 0600)
  --broker-ca FILE                 CA certificate for an ssl:// broker
  --client-id ID                   MQTT client id (default kazasu-desk-STATION-PID)
  --listen HOST:PORT               where the page is served (default 127.0.0.1:8080; port 0 picks one)
  --web DIR                        the page's files (default: the installed ones)
  --tls-cert FILE --tls-key FILE   serve HTTPS (required off loopback)
  --password-file FILE             one line, mode 0600: the staff's password (required off loopback)
  --help, --version
)";
}

bool valid_topic_level(const std::string& level) {
  if (level.empty() || level.size() > 64) return false;
  for (const char c : level) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

namespace {

// A secret file must be a regular file its owner alone can read, and small.
std::string check_secret_file(const fs::path& file, const char* what) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return std::string(what) + " " + file.string() + ": " + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return std::string(what) + " " + file.string() + " is not a regular file";
  if ((st.st_mode & 077) != 0) {
    return std::string(what) + " " + file.string() + " must be readable by its owner only (chmod 600 " + file.string() +
           ")";
  }
  if (st.st_size > 4096) return std::string(what) + " " + file.string() + " is too large";
  return {};
}

std::string trim_line_end(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::variant<Options, std::string> parse_options(const std::vector<std::string>& args,
                                                 const fs::path& default_web_dir) {
  Options o;
  o.web_dir = default_web_dir;
  std::string listen = "127.0.0.1:8080";
  const std::map<std::string, std::string*> strings = {
      {"--site", &o.site},           {"--station", &o.station}, {"--broker", &o.broker},
      {"--client-id", &o.client_id}, {"--listen", &listen},
  };
  const std::map<std::string, fs::path*> paths = {
      {"--credentials", &o.credentials_file},
      {"--broker-ca", &o.broker_ca_file},
      {"--web", &o.web_dir},
      {"--tls-cert", &o.tls_cert},
      {"--tls-key", &o.tls_key},
      {"--password-file", &o.password_file},
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      o.help = true;
      return o;
    }
    if (a == "--version") {
      o.version = true;
      return o;
    }
    std::string name = a;
    std::string value;
    bool has_value = false;
    if (const auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    const bool known = strings.count(name) != 0 || paths.count(name) != 0;
    if (!known) return "unknown option " + a + " (see --help)";
    if (!has_value) {
      if (i + 1 >= args.size()) return name + " needs a value";
      value = args[++i];
    }
    if (const auto s = strings.find(name); s != strings.end()) {
      *s->second = value;
    } else {
      *paths.at(name) = value;
    }
  }
  if (!valid_topic_level(o.site)) return "--site is required: 1-64 of A-Z a-z 0-9 _ -";
  if (!valid_topic_level(o.station)) return "--station is required: 1-64 of A-Z a-z 0-9 _ -";
  if (o.broker.rfind("tcp://", 0) != 0 && o.broker.rfind("ssl://", 0) != 0 && o.broker.rfind("mqtts://", 0) != 0 &&
      o.broker.rfind("mqtt://", 0) != 0) {
    return "--broker must be tcp://, mqtt://, ssl:// or mqtts://HOST:PORT";
  }
  if (o.client_id.size() > 64) return "--client-id is longer than 64 bytes";

  // HOST:PORT, [v6]:PORT
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return "--listen must be HOST:PORT";
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    return "--listen: the port must be 0-65535";
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return "--listen: " + host + " is not an IP address";
  o.listen_host = address.to_string();
  o.listen_port = static_cast<std::uint16_t>(std::stoul(port));
  o.loopback = address.is_loopback();

  if (o.tls_cert.empty() != o.tls_key.empty()) return "--tls-cert and --tls-key go together";
  if (!o.loopback && (o.tls_cert.empty() || o.password_file.empty())) {
    return "listening on " + o.listen_host +
           " (not loopback) needs --tls-cert, --tls-key and --password-file: the facility LAN gets the page "
           "over TLS and behind a password only";
  }
  for (const fs::path* f : {&o.tls_cert, &o.tls_key}) {
    if (!f->empty() && !fs::is_regular_file(*f)) return f->string() + " is not a readable file";
  }
  if (!o.tls_key.empty()) {
    if (auto e = check_secret_file(o.tls_key, "--tls-key"); !e.empty()) return e;
  }
  if (!o.password_file.empty()) {
    if (auto e = check_secret_file(o.password_file, "--password-file"); !e.empty()) return e;
    std::ifstream in(o.password_file);
    std::getline(in, o.desk_password);
    o.desk_password = trim_line_end(o.desk_password);
    if (o.desk_password.size() < 8) return "--password-file: the password must have at least 8 characters";
  }
  if (!o.credentials_file.empty()) {
    if (auto e = check_secret_file(o.credentials_file, "--credentials"); !e.empty()) return e;
    try {
      const toml::table t = toml::parse_file(o.credentials_file.string());
      for (const auto& [key, node] : t) {
        if (key != "username" && key != "password") {
          return "--credentials " + o.credentials_file.string() + ": unknown key " + std::string(key.str());
        }
      }
      o.username = t["username"].value_or(std::string());
      o.password = t["password"].value_or(std::string());
      if (o.username.empty()) return "--credentials " + o.credentials_file.string() + ": username is missing";
    } catch (const toml::parse_error& e) {
      return "--credentials " + o.credentials_file.string() + ": " + std::string(e.description());
    }
  }
  if (!o.broker_ca_file.empty() && !fs::is_regular_file(o.broker_ca_file)) {
    return "--broker-ca " + o.broker_ca_file.string() + " is not a readable file";
  }
  if (!fs::is_regular_file(o.web_dir / "index.html")) {
    return "--web " + o.web_dir.string() + " holds no index.html";
  }
  return o;
}

}  // namespace kazasu::desk
