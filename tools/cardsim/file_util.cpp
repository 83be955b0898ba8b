#include "file_util.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include "unique_fd.hpp"

namespace kazasu::cardsim {

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string read_text_file(const std::filesystem::path& path) {
  const Bytes bytes = read_file(path);
  return std::string(bytes.begin(), bytes.end());
}

void write_file_atomic(const std::filesystem::path& path, const Bytes& content, mode_t mode) {
  const std::filesystem::path temp = path.string() + ".tmp." + std::to_string(::getpid());
  {
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) throw std::system_error(errno, std::generic_category(), "cannot create " + temp.string());
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::system_error(errno, std::generic_category(), "cannot write " + temp.string());
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) throw std::system_error(errno, std::generic_category(), "fsync failed");
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    throw std::system_error(saved, std::generic_category(), "cannot rename onto " + path.string());
  }
}

void write_text_file_atomic(const std::filesystem::path& path, const std::string& content) {
  write_file_atomic(path, to_bytes(content), 0644);
}

}  // namespace kazasu::cardsim
