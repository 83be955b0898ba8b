// Validates a plugin's [plugins.NAME.config] against the settings the plugin
// declared (fluent-bit's config_map) and fills in defaults, before the plugin
// sees any of it.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "kazasu/plugin.h"

namespace kazasu {

/** Checks `plugin.settings` in place (adding defaults); returns every problem found. */
std::vector<ConfigError> validate_plugin_settings(const std::string& file, PluginConfig& plugin,
                                                  std::span<const kazasu_setting> declared);

/** The declared settings as text, for `kazasud --help-plugin`. */
std::string describe_settings(std::span<const kazasu_setting> declared);

}  // namespace kazasu
