// Small file helpers: whole-file reads and atomic writes (state.json must never be torn).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "bytes.hpp"

namespace kazasu::cardsim {

Bytes read_file(const std::filesystem::path& path);
std::string read_text_file(const std::filesystem::path& path);

// Writes to a temporary file in the same directory, fsyncs it and renames it over path,
// so a reader (or a crash) sees either the old or the new content, never half of one.
void write_file_atomic(const std::filesystem::path& path, const Bytes& content, mode_t mode = 0644);
void write_text_file_atomic(const std::filesystem::path& path, const std::string& content);

}  // namespace kazasu::cardsim
