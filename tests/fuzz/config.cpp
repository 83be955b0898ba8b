// Fuzz target: kazasud's config file, through toml++ and every section's
// checks (load_config, the form that lists problems instead of throwing).
// The file is written to a scratch directory first: load_config reads a
// path, and relative paths in the file resolve against that directory.
// load_config only reads: paths named in the file are stat()ed, and the
// owner-only credential and password files it names are read.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/log.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path file = [] {
    kazasu::log::set_level(kazasu::log::Level::error);
    return kazasu::fuzz::scratch_dir("config") / "kazasud.toml";
  }();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) std::abort();
  }
  std::vector<kazasu::ConfigError> errors;
  const kazasu::Config cfg = kazasu::load_config(file, errors);
  for (const auto& e : errors) (void)e.str();
  return 0;
}
