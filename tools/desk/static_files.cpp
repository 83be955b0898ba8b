#include "static_files.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kazasu::desk {

namespace fs = std::filesystem;

namespace {

bool allowed_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::optional<std::string> content_type_for(std::string_view name) {
  if (ends_with(name, ".html")) return "text/html; charset=utf-8";
  if (ends_with(name, ".css")) return "text/css; charset=utf-8";
  if (ends_with(name, ".js")) return "text/javascript; charset=utf-8";
  if (ends_with(name, ".svg")) return "image/svg+xml";
  if (ends_with(name, ".png")) return "image/png";
  if (ends_with(name, ".ico")) return "image/x-icon";
  if (ends_with(name, ".json")) return "application/json";
  return std::nullopt;
}

StaticFiles::StaticFiles(const fs::path& dir) {
  std::size_t total = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    const auto type = content_type_for(name);
    if (!allowed_name(name) || !type) continue;
    if (files_.size() >= 64) throw std::runtime_error("more than 64 files in " + dir.string());
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in && !in.eof()) throw std::runtime_error("cannot read " + entry.path().string());
    total += body.str().size();
    if (total > std::size_t{4} << 20) throw std::runtime_error("the files in " + dir.string() + " exceed 4 MiB");
    files_.emplace(name, StaticFile{*type, body.str()});
  }
  if (files_.find("index.html") == files_.end()) throw std::runtime_error("no index.html in " + dir.string());
}

const StaticFile* StaticFiles::find(std::string_view target) const {
  if (const auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  if (target.empty() || target.front() != '/') return nullptr;
  target.remove_prefix(1);
  if (target.empty()) target = "index.html";
  if (!allowed_name(target)) return nullptr;
  const auto it = files_.find(target);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace kazasu::desk
