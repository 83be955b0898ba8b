#include "dispatch/plugin_library.hpp"

#include <array>
#include <cstddef>
#include <cstring>

#include "core/text_checks.hpp"

namespace kazasu {

Result<std::shared_ptr<PluginLibrary>> PluginLibrary::load(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return Error{"not_found", "no plugin file at " + path.string()};
  boost::dll::shared_library lib;
  boost::system::error_code ec;
  // RTLD_LOCAL keeps one plugin's symbols from satisfying another's.
  lib.load(boost::dll::fs::path(path.string()), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local,
           ec);
  if (ec) return Error{"load_failed", "cannot load " + path.string() + ": " + ec.message()};
  if (!lib.has(KAZASU_PLUGIN_ENTRY_SYMBOL)) {
    return Error{"no_entry", path.string() + " does not export " KAZASU_PLUGIN_ENTRY_SYMBOL};
  }
  auto entry = lib.get<const kazasu_plugin_descriptor*(const uint32_t*, size_t)>(KAZASU_PLUGIN_ENTRY_SYMBOL);

  // Every minor of this major, newest first: a plugin built against 1.0 still loads.
  static constexpr std::array<uint32_t, 2> kOffered = {KAZASU_ABI_VERSION(KAZASU_ABI_MAJOR, KAZASU_ABI_MINOR),
                                                       KAZASU_ABI_VERSION(KAZASU_ABI_MAJOR, 0)};
  const kazasu_plugin_descriptor* desc = entry(kOffered.data(), kOffered.size());
  const std::string host_abi = std::to_string(KAZASU_ABI_MAJOR) + "." + std::to_string(KAZASU_ABI_MINOR);
  if (desc == nullptr) {
    return Error{"abi_mismatch",
                 path.string() + " accepts none of the ABI versions this host speaks (" + host_abi + ")"};
  }
  // Check the fields every version has before trusting the rest.
  if (desc->abi_major != KAZASU_ABI_MAJOR) {
    return Error{"abi_mismatch", path.string() + " uses plugin ABI " + std::to_string(desc->abi_major) + "." +
                                     std::to_string(desc->abi_minor) + "; this host speaks " + host_abi};
  }
  // Fields up to on_tap are the minimum; later ones are used only when the
  // plugin's struct is large enough to have them.
  constexpr size_t kMinSize = offsetof(kazasu_plugin_descriptor, on_command);
  if (desc->struct_size < kMinSize) {
    return Error{"abi_mismatch", path.string() + " has a descriptor of " + std::to_string(desc->struct_size) +
                                     " bytes; ABI " + host_abi + " needs at least " + std::to_string(kMinSize)};
  }
  // Bounded: a descriptor's name is bytes from a library we did not build.
  if (desc->name == nullptr || !text::is_identifier(std::string_view(desc->name, ::strnlen(desc->name, 65)))) {
    return Error{"bad_descriptor", path.string() + " declares an invalid plugin name"};
  }
  if (desc->create == nullptr || desc->destroy == nullptr || desc->on_tap == nullptr) {
    return Error{"bad_descriptor", path.string() + " lacks a create, destroy or on_tap callback"};
  }
  if (desc->settings_count > 0 && desc->settings == nullptr) {
    return Error{"bad_descriptor", path.string() + " declares settings but gives none"};
  }
  return std::shared_ptr<PluginLibrary>(new PluginLibrary(std::move(lib), desc, path));
}

}  // namespace kazasu
