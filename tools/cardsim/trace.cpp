#include "trace.hpp"

#include <fcntl.h>

#include <cerrno>
#include <system_error>

namespace kazasu::cardsim {

Trace::Trace(const std::filesystem::path& path)
    : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
  if (!fd_) throw std::system_error(errno, std::generic_category(), "cannot open trace " + path.string());
}

void Trace::line(const std::string& text) {
  if (!fd_) return;
  const std::string with_newline = text + "\n";
  (void)::write(fd_.get(), with_newline.data(), with_newline.size());
}

}  // namespace kazasu::cardsim
