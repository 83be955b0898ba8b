// The page's files, read once at start from the web directory (flat: no subdirectories,
// names of [a-z0-9._-] only), so a request can name nothing else.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kazasu::desk {

struct StaticFile {
  std::string content_type;
  std::string body;
};

class StaticFiles {
 public:
  /** Loads every allowed file of `dir` (at most 64 files, 4 MiB in all); throws on I/O errors. */
  explicit StaticFiles(const std::filesystem::path& dir);
  /** The file for a request target ("/" is index.html; a query string is ignored). */
  [[nodiscard]] const StaticFile* find(std::string_view target) const;
  [[nodiscard]] std::size_t size() const { return files_.size(); }

 private:
  std::map<std::string, StaticFile, std::less<>> files_;
};

std::optional<std::string> content_type_for(std::string_view name);

}  // namespace kazasu::desk
