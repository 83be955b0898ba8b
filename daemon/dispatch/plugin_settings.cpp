#include "dispatch/plugin_settings.hpp"

namespace kazasu {
namespace {
const char* type_text(kazasu_setting_type t) {
  switch (t) {
    case KAZASU_SETTING_STRING:
      return "a string";
    case KAZASU_SETTING_INTEGER:
      return "an integer";
    case KAZASU_SETTING_BOOLEAN:
      return "a boolean";
    case KAZASU_SETTING_FLOAT:
      return "a float";
    case KAZASU_SETTING_STRING_LIST:
      return "an array of strings";
  }
  return "a value";
}

const char* json_type_text(const nlohmann::json& v) {
  if (v.is_string()) return "a string";
  if (v.is_number_integer()) return "an integer";
  if (v.is_number_float()) return "a float";
  if (v.is_boolean()) return "a boolean";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "a table";
  return "nothing";
}

bool matches(kazasu_setting_type t, const nlohmann::json& v) {
  switch (t) {
    case KAZASU_SETTING_STRING:
      return v.is_string();
    case KAZASU_SETTING_INTEGER:
      return v.is_number_integer();
    case KAZASU_SETTING_BOOLEAN:
      return v.is_boolean();
    case KAZASU_SETTING_FLOAT:
      return v.is_number();
    case KAZASU_SETTING_STRING_LIST:
      if (!v.is_array()) return false;
      for (const auto& e : v) {
        if (!e.is_string()) return false;
      }
      return true;
  }
  return false;
}
}  // namespace

std::vector<ConfigError> validate_plugin_settings(const std::string& file, PluginConfig& plugin,
                                                  std::span<const kazasu_setting> declared) {
  std::vector<ConfigError> errors;
  const std::string prefix = "plugins." + plugin.name + ".config.";
  auto line_of = [&](const std::string& key) {
    auto it = plugin.setting_lines.find(key);
    return it != plugin.setting_lines.end() ? it->second : plugin.line;
  };
  for (const auto& [key, value] : plugin.settings.items()) {
    const kazasu_setting* decl = nullptr;
    for (const auto& d : declared) {
      if (key == d.name) decl = &d;
    }
    if (decl == nullptr) {
      errors.push_back(
          {file, line_of(key), prefix + key, "unknown key (plugin " + plugin.name + " does not declare it)"});
    } else if (!matches(decl->type, value)) {
      errors.push_back({file, line_of(key), prefix + key,
                        std::string("expected ") + type_text(decl->type) + ", found " + json_type_text(value)});
    } else if (decl->type == KAZASU_SETTING_INTEGER && decl->min_value < decl->max_value &&
               (value.get<int64_t>() < decl->min_value || value.get<int64_t>() > decl->max_value)) {
      errors.push_back({file, line_of(key), prefix + key,
                        std::to_string(value.get<int64_t>()) + " is out of range (" + std::to_string(decl->min_value) +
                            " to " + std::to_string(decl->max_value) + ")"});
    }
  }
  for (const auto& d : declared) {
    if (plugin.settings.contains(d.name)) continue;
    if (d.default_value == nullptr) {
      errors.push_back({file, plugin.line, prefix + d.name, "required key is missing"});
      continue;
    }
    auto def = nlohmann::json::parse(d.default_value, nullptr, false);
    if (def.is_discarded()) {
      errors.push_back({file, plugin.line, prefix + d.name, "the plugin's default is not valid JSON"});
    } else {
      plugin.settings[d.name] = def;
    }
  }
  return errors;
}

std::vector<ConfigError> check_plugin_settings(const std::string& file, const PluginConfig& plugin,
                                               decltype(kazasu_plugin_descriptor::check_settings) check) {
  if (check == nullptr) return {};
  char key[128] = {0};
  char message[512] = {0};
  if (check(plugin.settings.dump().c_str(), key, sizeof key, message, sizeof message) == KAZASU_OK) return {};
  const std::string k(key);
  auto it = plugin.setting_lines.find(k);
  const int line = it != plugin.setting_lines.end() ? it->second : plugin.line;
  const std::string path = "plugins." + plugin.name + ".config" + (k.empty() ? "" : "." + k);
  return {ConfigError{file, line, path, message[0] != '\0' ? message : "invalid settings"}};
}

std::string describe_settings(std::span<const kazasu_setting> declared) {
  std::string out;
  for (const auto& d : declared) {
    out += "  ";
    out += d.name;
    out += " (";
    out += type_text(d.type);
    out += d.default_value != nullptr ? std::string(", default ") + d.default_value : std::string(", required");
    if (d.type == KAZASU_SETTING_INTEGER && d.min_value < d.max_value) {
      out += ", " + std::to_string(d.min_value) + " to " + std::to_string(d.max_value);
    }
    out += ")\n      ";
    out += d.description != nullptr ? d.description : "";
    out += "\n";
  }
  if (out.empty()) out = "  (no settings)\n";
  return out;
}

}  // namespace kazasu
