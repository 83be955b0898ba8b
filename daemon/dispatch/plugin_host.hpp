// Loads every configured plugin, transactionally: a plugin that fails any
// step (file, entry symbol, ABI major, duplicate name, settings, create) is
// refused with one log line and unloaded, and the daemon goes on with the
// others.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dispatch/plugin_instance.hpp"
#include "mqtt/topics.hpp"

namespace kazasu {

struct RefusedPlugin {
  std::string name;
  std::string reason;  // "not_found", "no_entry", "abi_mismatch", "duplicate_name", "settings", ...
  std::string message;
};

class PluginHost {
 public:
  /** `shared` may be null: plugins then get KAZASU_SHARED_NOT_ALLOWED from shared calls. */
  PluginHost(const Config& cfg, const Topics& topics, const boost::asio::any_io_executor& pool,
             shared::Service* shared = nullptr);

  [[nodiscard]] PluginInstance* find(const std::string& name) const;
  [[nodiscard]] const std::vector<std::unique_ptr<PluginInstance>>& plugins() const { return plugins_; }
  [[nodiscard]] const std::vector<RefusedPlugin>& refused() const { return refused_; }

 private:
  std::vector<std::unique_ptr<PluginInstance>> plugins_;
  std::vector<RefusedPlugin> refused_;
};

/**
 * Loads a plugin library and validates its settings without creating it, for
 * `kazasud --check-config`. Returns the problems as config errors.
 */
std::vector<ConfigError> check_plugin(const Config& cfg, PluginConfig& plugin, std::vector<std::string>& names_seen);

}  // namespace kazasu
