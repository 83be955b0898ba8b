#include "trace.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
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

Stamps::Stamps(const std::filesystem::path& path)
    : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
  if (!fd_) throw std::system_error(errno, std::generic_category(), "cannot open stamps " + path.string());
}

std::int64_t Stamps::now_ns() {
  // Named explicitly rather than steady_clock: readers of the file compare it with
  // other processes' CLOCK_MONOTONIC (Python's time.monotonic_ns, kazasud's stage log).
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void Stamps::apdu(std::int64_t in_ns, std::int64_t out_ns, const Bytes& command) {
  const Bytes header(command.begin(),
                     command.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(4, command.size())));
  line("apdu " + std::to_string(in_ns) + " " + std::to_string(out_ns) + " " + to_hex(header));
}

void Stamps::line(const std::string& text) {
  if (!fd_) return;
  const std::string with_newline = text + "\n";
  (void)::write(fd_.get(), with_newline.data(), with_newline.size());
}

}  // namespace kazasu::cardsim
