// A plugin's shared library, loaded with Boost.DLL, after the ABI handshake.
// Loading checks everything that can be checked before any plugin code beyond
// the entry symbol runs (ISC Kea's transactional hooks loading): the symbol,
// the offered/chosen version, the descriptor's size and required callbacks.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "kazasu/plugin.h"

namespace kazasu {

class PluginLibrary {
 public:
  /** Loads `path`; the error's message is one sentence for the log. */
  static Result<std::shared_ptr<PluginLibrary>> load(const std::filesystem::path& path);

  [[nodiscard]] const kazasu_plugin_descriptor& descriptor() const { return *desc_; }
  [[nodiscard]] std::string name() const { return desc_->name; }
  [[nodiscard]] std::string version() const { return desc_->version != nullptr ? desc_->version : ""; }
  /** The declared settings in this host's layout, whatever element size the plugin was built with. */
  [[nodiscard]] std::span<const kazasu_setting> settings() const { return settings_; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  /** The plugin's on_command, or nullptr when it takes no commands (or predates them). */
  [[nodiscard]] decltype(kazasu_plugin_descriptor::on_command) on_command() const {
    return has(offsetof(kazasu_plugin_descriptor, on_command) + sizeof(desc_->on_command)) ? desc_->on_command
                                                                                           : nullptr;
  }
  /** The plugin's check_settings, or nullptr. */
  [[nodiscard]] decltype(kazasu_plugin_descriptor::check_settings) check_settings() const {
    return has(offsetof(kazasu_plugin_descriptor, check_settings) + sizeof(desc_->check_settings))
               ? desc_->check_settings
               : nullptr;
  }
  /** The plugin's on_timer, or nullptr. */
  [[nodiscard]] decltype(kazasu_plugin_descriptor::on_timer) on_timer() const {
    return has(offsetof(kazasu_plugin_descriptor, on_timer) + sizeof(desc_->on_timer)) ? desc_->on_timer : nullptr;
  }

 private:
  // Whether the plugin's descriptor is large enough to hold a field ending at `end`.
  [[nodiscard]] bool has(size_t end) const { return desc_->struct_size >= end; }
  PluginLibrary(boost::dll::shared_library lib, const kazasu_plugin_descriptor* desc, std::filesystem::path path,
                std::vector<kazasu_setting> settings)
      : lib_(std::move(lib)), desc_(desc), path_(std::move(path)), settings_(std::move(settings)) {}

  boost::dll::shared_library lib_;
  const kazasu_plugin_descriptor* desc_;
  std::filesystem::path path_;
  std::vector<kazasu_setting> settings_;
};

}  // namespace kazasu
