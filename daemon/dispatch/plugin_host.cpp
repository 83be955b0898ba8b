#include "dispatch/plugin_host.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "dispatch/crash_log.hpp"
#include "dispatch/plugin_settings.hpp"

namespace kazasu {
namespace {

// The checks shared by start-up and --check-config, in the order a reader of
// the log would expect: the file, its ABI, its name, then its settings.
Result<std::shared_ptr<PluginLibrary>> load_checked(const Config& cfg, PluginConfig& p,
                                                    const std::vector<std::string>& names_seen,
                                                    std::vector<ConfigError>& setting_errors) {
  auto lib = PluginLibrary::load(p.path);
  if (!lib) return lib.error();
  const std::string declared = lib.value()->name();
  if (std::find(names_seen.begin(), names_seen.end(), declared) != names_seen.end()) {
    return Error{"duplicate_name",
                 p.path.string() + " declares the name \"" + declared + "\", which another loaded plugin already has"};
  }
  if (declared != p.name) {
    return Error{"name_mismatch", p.path.string() + " declares the name \"" + declared +
                                      "\" but is configured as [plugins." + p.name + "]"};
  }
  setting_errors = validate_plugin_settings(cfg.file.string(), p, lib.value()->settings());
  if (setting_errors.empty())
    setting_errors = check_plugin_settings(cfg.file.string(), p, lib.value()->check_settings());
  if (!setting_errors.empty()) {
    std::string msg;
    for (const auto& e : setting_errors) msg += (msg.empty() ? "" : "; ") + e.str();
    return Error{"settings", msg};
  }
  return lib;
}

}  // namespace

std::vector<ConfigError> check_plugin(const Config& cfg, PluginConfig& plugin, std::vector<std::string>& names_seen) {
  std::vector<ConfigError> setting_errors;
  auto lib = load_checked(cfg, plugin, names_seen, setting_errors);
  if (lib) {
    names_seen.push_back(plugin.name);
    return {};
  }
  if (!setting_errors.empty()) return setting_errors;
  return {ConfigError{cfg.file.string(), plugin.line, "plugins." + plugin.name, lib.error().message}};
}

PluginHost::PluginHost(const Config& cfg, const Topics& topics, const boost::asio::any_io_executor& pool,
                       shared::Service* shared) {
  std::vector<std::string> names;
  const auto quarantined = crash::quarantined(cfg.station.data_dir);
  for (PluginConfig p : cfg.plugins) {
    const auto q = std::find_if(quarantined.begin(), quarantined.end(),
                                [&](const crash::Quarantined& x) { return x.plugin == p.name; });
    if (q != quarantined.end()) {
      const std::string why = "it brought kazasud down " + std::to_string(q->events) +
                              " times (crashed or hung); fix or replace it, then clear it with kazasuctl plugins "
                              "clear " +
                              p.name;
      log::error("plugin quarantined: not loaded", "plugin", p.name, "detail", why);
      refused_.push_back({p.name, "quarantined", why});
      continue;
    }
    std::vector<ConfigError> setting_errors;
    auto lib = load_checked(cfg, p, names, setting_errors);
    if (!lib) {
      log::error("plugin refused", "plugin", p.name, "reason", lib.error().reason, "detail", lib.error().message);
      refused_.push_back({p.name, lib.error().reason, lib.error().message});
      continue;
    }
    const std::string version = lib.value()->version();
    p.broker_encrypted = cfg.mqtt.encrypted();
    auto inst = PluginInstance::create(lib.value(), p, cfg.station.data_dir, topics, shared, pool);
    if (!inst) {
      log::error("plugin refused", "plugin", p.name, "reason", inst.error().reason, "detail", inst.error().message);
      refused_.push_back({p.name, inst.error().reason, inst.error().message});
      continue;
    }
    names.push_back(p.name);
    log::info("plugin loaded", "plugin", p.name, "version", version, "path", p.path.string());
    plugins_.push_back(std::move(inst.value()));
  }
}

PluginInstance* PluginHost::find(const std::string& name) const {
  for (const auto& p : plugins_) {
    if (p->name() == name) return p.get();
  }
  return nullptr;
}

}  // namespace kazasu
