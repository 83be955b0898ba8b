// kazasu-desk's command line. Loopback by default; any other listen address is the
// facility LAN and needs TLS and a password, or the desk refuses to start.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

namespace kazasu::desk {

struct Options {
  std::string site;
  std::string station;
  std::string broker = "tcp://127.0.0.1:1883";
  std::filesystem::path credentials_file;  // TOML: username = "...", password = "..." (owner-only)
  std::string username;                    // read from credentials_file
  std::string password;
  std::filesystem::path broker_ca_file;  // trust store for an ssl:// broker
  std::string client_id;                 // default kazasu-desk-{station}-{pid}
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::filesystem::path web_dir;
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;
  std::filesystem::path password_file;  // one line, owner-only
  std::string desk_password;            // read from password_file
  bool loopback = true;                 // the listen address is a loopback one
  bool help = false;
  bool version = false;
};

/** Parses and checks the command line (files are read too); an error sentence otherwise. */
std::variant<Options, std::string> parse_options(const std::vector<std::string>& args,
                                                 const std::filesystem::path& default_web_dir);

std::string usage();

/** Site and station names as the contract allows them in a topic: 1-64 of [A-Za-z0-9_-]. */
bool valid_topic_level(const std::string& level);

}  // namespace kazasu::desk
