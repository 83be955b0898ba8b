#include "dispatch/plugin_library.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

#include "core/text_checks.hpp"

namespace kazasu {
namespace {

// The element size of kazasu_setting before plugins declared it (ABI 1.0 and 1.1).
constexpr size_t kSettingSizeBefore12 = offsetof(kazasu_setting, max_value) + sizeof(int64_t);
constexpr size_t kMaxSettings = 1024;

// Copies the plugin's settings array into this host's layout: the plugin's
// element size (ABI 1.2 setting_size) is the stride, fields the plugin's
// element lacks stay zero, and fields it has beyond ours are not read.
Result<std::vector<kazasu_setting>> read_settings(const kazasu_plugin_descriptor& desc) {
  size_t stride = kSettingSizeBefore12;
  if (desc.struct_size >= offsetof(kazasu_plugin_descriptor, setting_size) + sizeof desc.setting_size &&
      desc.setting_size != 0) {
    stride = desc.setting_size;
  }
  constexpr size_t kMinStride = offsetof(kazasu_setting, description) + sizeof(const char*);
  if (stride < kMinStride || stride > 4096) {
    return Error{"bad_descriptor", "declares a setting size of " + std::to_string(stride) + " bytes"};
  }
  if (desc.settings_count > kMaxSettings) {
    return Error{"bad_descriptor", "declares " + std::to_string(desc.settings_count) + " settings; at most " +
                                       std::to_string(kMaxSettings) + " are read"};
  }
  std::vector<kazasu_setting> out(desc.settings_count);
  const auto* base = reinterpret_cast<const unsigned char*>(desc.settings);
  for (size_t i = 0; i < desc.settings_count; ++i) {
    kazasu_setting s{};
    std::memcpy(&s, base + i * stride, std::min(stride, sizeof s));
    out[i] = s;
  }
  return out;
}

}  // namespace

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
  static constexpr std::array<uint32_t, 5> kOffered = {
      KAZASU_ABI_VERSION(KAZASU_ABI_MAJOR, KAZASU_ABI_MINOR), KAZASU_ABI_VERSION(KAZASU_ABI_MAJOR, 3),
      KAZASU_ABI_VERSION(KAZASU_ABI_MAJOR, 2), KAZASU_ABI_VERSION(KAZASU_ABI_MAJOR, 1),
      KAZASU_ABI_VERSION(KAZASU_ABI_MAJOR, 0)};
  static_assert(KAZASU_ABI_MINOR == 4, "offer every minor of this major");
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
  auto settings = read_settings(*desc);
  if (!settings) return Error{"bad_descriptor", path.string() + " " + settings.error().message};
  return std::shared_ptr<PluginLibrary>(new PluginLibrary(std::move(lib), desc, path, std::move(settings.value())));
}

}  // namespace kazasu
