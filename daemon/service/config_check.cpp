#include "service/config_check.hpp"

#include <algorithm>

#include "dispatch/plugin_host.hpp"

namespace kazasu {

CheckedConfig check_config_file(const std::string& file, const std::optional<SecretReader>& reader) {
  CheckedConfig out;
  out.config = load_config(file, out.errors);
  if (!out.config.station.secret_file.empty()) {
    if (auto problem = check_secret_file(out.config.station.secret_file, reader)) {
      out.errors.push_back(ConfigError{file, out.config.station.secret_file_line, "station.secret_file", *problem});
    }
  }
  std::vector<std::string> names;
  for (auto& p : out.config.plugins) {
    auto e = check_plugin(out.config, p, names);
    out.errors.insert(out.errors.end(), e.begin(), e.end());
  }
  std::stable_sort(out.errors.begin(), out.errors.end(),
                   [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
  return out;
}

}  // namespace kazasu
