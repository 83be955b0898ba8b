// kazasud: command line and start-up. Exit codes: 0 ok, 1 start-up failure,
// 2 bad configuration or usage.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/log.hpp"
#include "dispatch/plugin_host.hpp"
#include "dispatch/plugin_library.hpp"
#include "dispatch/plugin_settings.hpp"
#include "identify/token_key.hpp"
#include "service/config_check.hpp"
#include "service/daemon.hpp"

#ifndef KAZASU_VERSION
#define KAZASU_VERSION "0.0.0"
#endif

namespace {

constexpr const char* kDefaultConfig = "/etc/kazasu/kazasud.toml";

void usage(std::ostream& out) {
  out << "usage: kazasud [--config FILE]\n"
         "       kazasud --check-config FILE [--user NAME]\n"
         "       kazasud --help-plugin NAME|PATH [--config FILE]\n"
         "       kazasud --version\n"
         "\n"
         "  --config FILE        run with this configuration (default "
      << kDefaultConfig
      << ")\n"
         "  --check-config FILE  validate FILE, the plugins it names and the site secret; exit 0 if\n"
         "                       valid, else 2\n"
         "  --user NAME          with --check-config: check that user NAME (e.g. kazasu, the service\n"
         "                       user) can read the site secret (default: the user running the check)\n"
         "  --help-plugin NAME   print the settings a plugin declares\n";
}

// Everything the start would refuse, in one run: core errors, the site
// secret (the same checks TokenKey::load makes) and every plugin's settings,
// sorted by line.
int check_config(const std::string& file, const std::string& user) {
  std::optional<kazasu::SecretReader> reader;
  if (!user.empty()) {
    reader = kazasu::SecretReader::lookup(user);
    if (!reader) {
      std::cerr << "kazasud: --user " << user << ": no such user\n";
      return 2;
    }
  }
  const kazasu::CheckedConfig checked = kazasu::check_config_file(file, reader);
  if (checked.errors.empty()) {
    std::cout << file << ": ok\n";
    return 0;
  }
  for (const auto& err : checked.errors) std::cerr << err.str() << '\n';
  return 2;
}

int help_plugin(const std::string& what, const std::string& config_file) {
  std::filesystem::path path(what);
  if (what.find('/') == std::string::npos) {
    std::filesystem::path dir = kazasu::default_plugin_dir();
    if (!config_file.empty()) {
      try {
        dir = kazasu::load_config(config_file).station.plugin_dir;
      } catch (const kazasu::ConfigException& e) {
        std::cerr << e.what() << '\n';
        return 2;
      }
    }
    path = dir / (what + ".so");
  }
  auto lib = kazasu::PluginLibrary::load(path);
  if (!lib) {
    std::cerr << lib.error().message << '\n';
    return 2;
  }
  const auto& d = lib.value()->descriptor();
  std::cout << d.name << " " << lib.value()->version() << " (plugin ABI " << d.abi_major << "." << d.abi_minor
            << ")\n  " << (d.description != nullptr ? d.description : "") << "\n\nSettings under [plugins." << d.name
            << ".config]:\n"
            << kazasu::describe_settings(lib.value()->settings());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_file;
  std::string check_config_file;
  std::string user;
  std::string help_plugin_name;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "kazasud: " << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--version") {
      std::cout << "kazasud " KAZASU_VERSION " (plugin ABI " << KAZASU_ABI_MAJOR << "." << KAZASU_ABI_MINOR << ")\n";
      return 0;
    }
    if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      return 0;
    }
    if (arg == "--check-config") {
      check_config_file = next();
    } else if (arg == "--user") {
      user = next();
    } else if (arg == "--config") {
      config_file = next();
    } else if (arg == "--help-plugin") {
      help_plugin_name = next();
    } else {
      std::cerr << "kazasud: unknown argument " << arg << "\n";
      usage(std::cerr);
      return 2;
    }
  }
  if (!check_config_file.empty()) return check_config(check_config_file, user);
  if (!user.empty()) {
    std::cerr << "kazasud: --user goes with --check-config\n";
    usage(std::cerr);
    return 2;
  }
  if (!help_plugin_name.empty()) return help_plugin(help_plugin_name, config_file);
  if (config_file.empty()) config_file = kDefaultConfig;

  kazasu::Config cfg;
  try {
    cfg = kazasu::load_config(config_file);
  } catch (const kazasu::ConfigException& e) {
    for (const auto& err : e.errors()) kazasu::log::error(err.str());
    return 2;
  }
  try {
    return kazasu::run_daemon(config_file, std::move(cfg));
  } catch (const std::exception& e) {
    kazasu::log::error("kazasud cannot start", "error", e.what());
    return 1;
  }
}
