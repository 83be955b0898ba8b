#include "identify/token_key.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace kazasu {
namespace {
constexpr size_t kMinSecretBytes = 32;  // 256 bits, the HMAC-SHA256 block security
}

TokenKey TokenKey::load(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    throw std::runtime_error("secret file " + file.string() + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) throw std::runtime_error("secret file " + file.string() + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw std::runtime_error("secret file " + file.string() + " has mode " + mode +
                             "; it must be readable by its owner only (chmod 600 " + file.string() + ")");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("secret file " + file.string() + ": cannot open");
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r' || bytes.back() == ' ')) bytes.pop_back();
  if (bytes.size() < kMinSecretBytes) {
    OPENSSL_cleanse(bytes.data(), bytes.size());
    throw std::runtime_error("secret file " + file.string() + " holds " + std::to_string(bytes.size()) +
                             " bytes; at least " + std::to_string(kMinSecretBytes) +
                             " are needed (kazasuctl secret init " + file.string() + ")");
  }
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
