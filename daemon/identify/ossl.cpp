#include "identify/ossl.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>

namespace kazasu::ossl {
namespace {
// XN_FLAG_ONELINE minus the spaces around '=': stable, readable, and equal to
// what `openssl x509 -issuer -nameopt oneline,-space_eq` prints.
constexpr unsigned long kNameFlags = XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ;
}  // namespace

std::string name_text(const X509_NAME* name) {
  if (name == nullptr) return {};
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, kNameFlags) < 0) return {};
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::string name_text(const apdu::Bytes& name_der) {
  const unsigned char* p = name_der.data();
  X509NamePtr name(d2i_X509_NAME(nullptr, &p, static_cast<long>(name_der.size())));
  if (!name || p != name_der.data() + name_der.size()) {
    ERR_clear_error();
    return {};
  }
  return name_text(name.get());
}

std::string last_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace kazasu::ossl
