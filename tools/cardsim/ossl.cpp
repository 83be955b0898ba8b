#include "ossl.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <stdexcept>

#include "file_util.hpp"

namespace kazasu::cardsim {

void throw_openssl(const std::string& what) {
  std::string message = what;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    message += ": ";
    message += buffer;
  }
  throw std::runtime_error(message);
}

EvpPkeyPtr generate_rsa_2048() {
  // EVP_RSA_gen uses e=65537, the exponent JPKI leaf and CA keys use.
  EvpPkeyPtr key(EVP_RSA_gen(2048));
  if (!key) throw_openssl("RSA key generation failed");
  return key;
}

Bytes random_bytes(std::size_t count) {
  Bytes out(count);
  if (RAND_bytes(out.data(), static_cast<int>(count)) != 1) throw_openssl("RAND_bytes failed");
  return out;
}

Bytes cert_to_der(X509* cert) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert, &der);
  if (length <= 0) throw_openssl("i2d_X509 failed");
  Bytes out(der, der + length);
  OPENSSL_free(der);
  return out;
}

X509Ptr cert_from_der(const Bytes& der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) throw_openssl("not a DER certificate");
  return cert;
}

namespace {

BioPtr open_bio(const std::filesystem::path& path, const char* mode) {
  BioPtr bio(BIO_new_file(path.c_str(), mode));
  if (!bio) throw_openssl("cannot open " + path.string());
  return bio;
}

}  // namespace

X509Ptr cert_from_pem_file(const std::filesystem::path& path) {
  const BioPtr bio = open_bio(path, "r");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) throw_openssl("no PEM certificate in " + path.string());
  return cert;
}

EvpPkeyPtr private_key_from_pem_file(const std::filesystem::path& path) {
  const BioPtr bio = open_bio(path, "r");
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw_openssl("no PEM private key in " + path.string());
  return key;
}

void write_cert_pem(const std::filesystem::path& path, X509* cert) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) throw_openssl("PEM encoding failed");
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  write_file_atomic(path, Bytes(data, data + length), 0644);
}

void write_private_key_pem(const std::filesystem::path& path, EVP_PKEY* key) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw_openssl("PEM key encoding failed");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  // Test keys, but still keys: keep them private to the owner.
  write_file_atomic(path, Bytes(data, data + length), 0600);
}

Bytes rsa_pkcs1_sign_raw(EVP_PKEY* key, const Bytes& data) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    throw_openssl("signature setup failed");
  }
  // No signature md is set, so OpenSSL pads the given bytes as they are: the host
  // already built the DigestInfo (jpki.md §2.5 "What to send in P1=00").
  std::size_t length = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &length, data.data(), data.size()) != 1) {
    throw_openssl("signature size query failed");
  }
  Bytes signature(length);
  if (EVP_PKEY_sign(ctx.get(), signature.data(), &length, data.data(), data.size()) != 1) {
    throw_openssl("signing failed");
  }
  signature.resize(length);
  return signature;
}

Bytes rsa_pkcs1_verify_recover(EVP_PKEY* public_key, const Bytes& signature) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(public_key, nullptr));
  if (!ctx || EVP_PKEY_verify_recover_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    throw_openssl("verify-recover setup failed");
  }
  std::size_t length = 0;
  if (EVP_PKEY_verify_recover(ctx.get(), nullptr, &length, signature.data(), signature.size()) != 1) {
    throw_openssl("verify-recover size query failed");
  }
  Bytes recovered(length);
  if (EVP_PKEY_verify_recover(ctx.get(), recovered.data(), &length, signature.data(), signature.size()) != 1) {
    throw_openssl("signature does not verify");
  }
  recovered.resize(length);
  return recovered;
}

int rsa_key_bytes(EVP_PKEY* key) {
  return EVP_PKEY_get_size(key);
}

}  // namespace kazasu::cardsim
