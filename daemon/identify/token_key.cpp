#include "identify/token_key.hpp"

#include <fcntl.h>
#include <grp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace kazasu {
namespace fs = std::filesystem;
namespace {
constexpr size_t kMinSecretBytes = 32;  // 256 bits, the HMAC-SHA256 block security

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string user_name(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) return found->pw_name;
  return "uid " + std::to_string(uid);
}

std::string group_name(gid_t gid) {
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (::getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr) return found->gr_name;
  return "gid " + std::to_string(gid);
}

// The kernel's permission rule without ACLs: the owner bits for the owner,
// else the group bits for a member of the file's group, else the other bits.
// Root passes (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH).
bool permits(const struct stat& st, const SecretReader& reader, mode_t owner_bit, mode_t group_bit, mode_t other_bit) {
  if (reader.uid == 0) return true;
  if (st.st_uid == reader.uid) return (st.st_mode & owner_bit) != 0;
  if (std::find(reader.groups.begin(), reader.groups.end(), st.st_gid) != reader.groups.end()) {
    return (st.st_mode & group_bit) != 0;
  }
  return (st.st_mode & other_bit) != 0;
}

// The directories opening `file` walks through, outermost first: those of the
// path as written and, when it runs through symlinks, those of the resolved one.
std::vector<fs::path> directories_to(const fs::path& file) {
  std::vector<fs::path> dirs;
  auto add = [&dirs](const fs::path& path) {
    std::vector<fs::path> chain;
    for (fs::path d = path.parent_path(); !d.empty(); d = d.parent_path()) {
      chain.push_back(d);
      if (d == d.parent_path()) break;
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      if (std::find(dirs.begin(), dirs.end(), *it) == dirs.end()) dirs.push_back(*it);
    }
  };
  std::error_code ec;
  const fs::path absolute = fs::absolute(file, ec);
  if (!ec) add(absolute.lexically_normal());
  const fs::path resolved = fs::canonical(file, ec);
  if (!ec) add(resolved);
  return dirs;
}

// Appends without leaving a copy of the secret behind in freed memory.
void append_wiped(std::vector<unsigned char>& bytes, const unsigned char* data, size_t n) {
  if (bytes.size() + n > bytes.capacity()) {
    std::vector<unsigned char> bigger;
    bigger.reserve(std::max(bytes.capacity() * 2, bytes.size() + n));
    bigger.assign(bytes.begin(), bytes.end());
    if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
    bytes.swap(bigger);
  }
  bytes.insert(bytes.end(), data, data + n);
}

// Everything that can keep the secret from being used, checked in the order
// IT staff would fix it. Fills `out` when given (TokenKey::load); otherwise
// what was read is wiped (check_secret_file). One function for both, so
// `kazasud --check-config` and the start cannot disagree.
std::optional<std::string> read_secret(const fs::path& file, const std::optional<SecretReader>& reader,
                                       std::vector<unsigned char>* out) {
  const std::string name = file.string();
  const std::string what = "secret file " + name;
  struct stat st {};
  if (::stat(name.c_str(), &st) != 0) {
    const int err = errno;
    std::string sentence = what + ": " + std::strerror(err);
    if (err == ENOENT) sentence += " (kazasuctl secret init " + name + ")";
    return sentence;
  }
  if (!S_ISREG(st.st_mode)) return what + " is not a regular file";
  if ((st.st_mode & 077) != 0) {
    return what + " has mode " + mode_text(st.st_mode) + "; it must be readable by its owner only (chmod 600 " + name +
           ")";
  }
  // Checking for another user (root for the service user): with no group or
  // other bits left, only the owner (or root) can read the file.
  if (reader && reader->uid != ::geteuid()) {
    for (const fs::path& dir : directories_to(file)) {
      struct stat d {};
      if (::stat(dir.c_str(), &d) != 0 || !S_ISDIR(d.st_mode)) continue;
      if (!permits(d, *reader, S_IXUSR, S_IXGRP, S_IXOTH)) {
        return what + ": " + reader->name + " cannot enter " + dir.string() + " (mode " + mode_text(d.st_mode) +
               ", owner " + user_name(d.st_uid) + ", group " + group_name(d.st_gid) + ")";
      }
    }
    if (reader->uid != 0 && st.st_uid != reader->uid) {
      return what + " is owned by " + user_name(st.st_uid) + ", so " + reader->name +
             ", who runs kazasud, cannot read it (chown " + reader->name + " " + name + ")";
    }
    if (!permits(st, *reader, S_IRUSR, S_IRGRP, S_IROTH)) {
      return what + " has mode " + mode_text(st.st_mode) + "; its owner cannot read it (chmod 600 " + name + ")";
    }
  }
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == EACCES && reader && reader->uid != ::geteuid()) {
      // Fine for the reader as far as the bits go; the checker cannot read the length.
      return what + ": " + user_name(::geteuid()) + " cannot read it to check its length (check as root or as " +
             reader->name + ")";
    }
    return what + ": cannot open: " + std::strerror(err);
  }
  std::vector<unsigned char> bytes;
  bytes.reserve(static_cast<size_t>(st.st_size) + 1);
  std::array<unsigned char, 4096> chunk{};
  std::optional<std::string> problem;
  while (true) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      problem = what + ": cannot read: " + std::strerror(errno);
      break;
    }
    if (n == 0) break;
    append_wiped(bytes, chunk.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  OPENSSL_cleanse(chunk.data(), chunk.size());
  while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r' || bytes.back() == ' ')) bytes.pop_back();
  if (!problem && bytes.size() < kMinSecretBytes) {
    problem = what + " holds " + std::to_string(bytes.size()) + " bytes; at least " + std::to_string(kMinSecretBytes) +
              " are needed (kazasuctl secret init " + name + ")";
  }
  if (problem || out == nullptr) {
    if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
    return problem;
  }
  *out = std::move(bytes);
  return std::nullopt;
}

}  // namespace

std::optional<SecretReader> SecretReader::lookup(const std::string& name) {
  const long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  while (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) == ERANGE) buf.resize(buf.size() * 2);
  if (found == nullptr) return std::nullopt;
  SecretReader reader;
  reader.name = found->pw_name;
  reader.uid = found->pw_uid;
  reader.gid = found->pw_gid;
  int count = 32;
  while (true) {
    reader.groups.resize(static_cast<size_t>(count));
    const int want = count;
    if (::getgrouplist(reader.name.c_str(), reader.gid, reader.groups.data(), &count) >= 0) break;
    if (count <= want) count = want * 2;  // some libcs do not say how many are needed
  }
  reader.groups.resize(static_cast<size_t>(count));
  return reader;
}

std::optional<std::string> check_secret_file(const fs::path& file, const std::optional<SecretReader>& reader) {
  return read_secret(file, reader, nullptr);
}

TokenKey TokenKey::load(const fs::path& file) {
  std::vector<unsigned char> bytes;
  if (auto problem = read_secret(file, std::nullopt, &bytes)) throw std::runtime_error(*problem);
  return TokenKey(std::move(bytes));
}

TokenKey::TokenKey(std::vector<unsigned char> secret) : secret_(std::move(secret)) {}

TokenKey::~TokenKey() {
  if (!secret_.empty()) OPENSSL_cleanse(secret_.data(), secret_.size());
}

std::string TokenKey::derive(const std::string& purpose, const CardIdentity& id) const {
  std::string msg;
  msg.reserve(purpose.size() + id.kind.size() + id.issuer.size() + id.subject.size() + 3);
  msg.append(purpose).push_back('\0');
  msg.append(id.kind).push_back('\0');
  msg.append(id.issuer).push_back('\0');
  msg.append(id.subject);

  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
           reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len) == nullptr) {
    OPENSSL_cleanse(msg.data(), msg.size());
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  OPENSSL_cleanse(msg.data(), msg.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::size_t{len} * 2);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xF]);
  }
  return out;
}

}  // namespace kazasu
