// The whole check of a config file, as `kazasud --check-config` and a reload
// both make it: the file's own errors, the site secret, and every plugin's
// settings (each plugin library is loaded to read what it declares).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "identify/token_key.hpp"

namespace kazasu {

struct CheckedConfig {
  Config config;
  std::vector<ConfigError> errors;  // sorted by line; empty when the config can run
};

/** Checks `file` whole; `reader`: check the secret for that user instead of the caller. */
CheckedConfig check_config_file(const std::string& file, const std::optional<SecretReader>& reader = std::nullopt);

}  // namespace kazasu
