#include "service/data_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "audit/audit_log.hpp"
#include "core/log.hpp"

namespace kazasu {
namespace fs = std::filesystem;
namespace {

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Removes group and other bits from one path; a symlink is refused, since
// following it would tighten (or expose) something outside the directory.
void tighten(const fs::path& p, mode_t want) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) {
    throw std::runtime_error("data directory: cannot inspect " + p.string() + ": " + std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode)) {
    throw std::runtime_error("data directory: " + p.string() +
                             " is a symbolic link; kazasud keeps its files in the directory itself");
  }
  if ((st.st_mode & 077) == 0) return;
  if (::chmod(p.c_str(), want) != 0) {
    throw std::runtime_error("data directory: " + p.string() + " has mode " + octal(st.st_mode) +
                             " and kazasud cannot tighten it (" + std::strerror(errno) + "); run chmod " + octal(want) +
                             " " + p.string() + " as its owner");
  }
  log::notice("tightened a data file readable by others", "path", p.string(), "was", octal(st.st_mode), "now",
              octal(want));
}

}  // namespace

void prepare_data_dir(const fs::path& dir) {
  ::umask(077);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("data directory " + dir.string() + ": " + ec.message());
  tighten(dir, 0700);
  // kazasud creates two levels: the daemon's files and plugins/ with one file set per plugin.
  for (const auto& top : fs::directory_iterator(dir)) {
    const auto status = top.symlink_status();
    if (fs::is_directory(status)) {
      tighten(top.path(), 0700);
      for (const auto& inner : fs::directory_iterator(top.path())) {
        if (fs::is_regular_file(inner.symlink_status())) tighten(inner.path(), 0600);
      }
    } else if (fs::is_regular_file(status)) {
      tighten(top.path(), 0600);
    }
  }
  // The audit log lives in the data directory and as long as the process:
  // opened at the first start, kept across reloads (docs/audit.md).
  AuditLog::open_for_process(dir);
}

}  // namespace kazasu
