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

/** Runs the plugin's own check_settings (if any) on the validated settings; its problem, located. */
std::vector<ConfigError> check_plugin_settings(const std::string& file, const PluginConfig& plugin,
                                               decltype(kazasu_plugin_descriptor::check_settings) check);

/** The declared settings as text, for `kazasud --help-plugin`. */
std::string describe_settings(std::span<const kazasu_setting> declared);

}  // namespace kazasu
