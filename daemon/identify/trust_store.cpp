#include "identify/trust_store.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstdio>
#include <stdexcept>

namespace kazasu {

std::shared_ptr<const TrustStore> TrustStore::load(const std::vector<std::filesystem::path>& pem_files) {
  auto ts = std::make_shared<TrustStore>();
  ts->store_.reset(X509_STORE_new());
  if (!ts->store_) throw std::runtime_error("cannot create an X509 store: " + ossl::last_error());
  for (const auto& file : pem_files) {
    std::unique_ptr<FILE, decltype(&std::fclose)> f(std::fopen(file.c_str(), "r"), &std::fclose);
    if (!f) throw std::runtime_error("trust anchor " + file.string() + ": cannot open");
    int count = 0;
    while (X509* raw = PEM_read_X509(f.get(), nullptr, nullptr, nullptr)) {
      ossl::X509Ptr cert(raw);
      if (X509_STORE_add_cert(ts->store_.get(), cert.get()) != 1) {
        throw std::runtime_error("trust anchor " + file.string() + ": " + ossl::last_error());
      }
      ++count;
    }
    ERR_clear_error();  // PEM_read_X509 ends the file with a "no start line" error
    if (count == 0) throw std::runtime_error("trust anchor " + file.string() + " holds no PEM certificate");
  }
  return ts;
}

std::optional<Error> TrustStore::verify(X509* certificate, std::time_t now) const {
  ossl::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store_.get(), certificate, nullptr) != 1) {
    return Error{"untrusted", "the certificate could not be checked: " + ossl::last_error()};
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, now);
  if (X509_verify_cert(ctx.get()) == 1) return std::nullopt;
  const int err = X509_STORE_CTX_get_error(ctx.get());
  const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  ERR_clear_error();
  const std::string whose = depth == 0 ? "the card's certificate" : "the issuing CA's certificate";
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return Error{"expired", whose + " has expired; the holder renews it at the city office"};
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return Error{"not_yet_valid", whose + " is not valid yet; check the PC's clock"};
    default:
      return Error{"untrusted", std::string("the card's certificate is not from a trusted issuer: ") +
                                    X509_verify_cert_error_string(err)};
  }
}

}  // namespace kazasu
