// RAII owners for OpenSSL objects and the few OpenSSL operations the simulator needs.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <memory>
#include <string>

#include "bytes.hpp"

namespace kazasu::cardsim {

template <auto FreeFn>
struct OsslFree {
  template <class T>
  void operator()(T* p) const noexcept {
    FreeFn(p);
  }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslFree<&EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslFree<&EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OsslFree<&X509_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OsslFree<&X509_NAME_free>>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, OsslFree<&X509_EXTENSION_free>>;
using BioPtr = std::unique_ptr<BIO, OsslFree<&BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OsslFree<&BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OsslFree<&ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, OsslFree<&ASN1_TIME_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OsslFree<&GENERAL_NAMES_free>>;

// Throws std::runtime_error carrying what and the OpenSSL error queue.
[[noreturn]] void throw_openssl(const std::string& what);

// RSA-2048, e=65537 (jpki.md §2.5 "Key").
EvpPkeyPtr generate_rsa_2048();

Bytes random_bytes(std::size_t count);

Bytes cert_to_der(X509* cert);
X509Ptr cert_from_der(const Bytes& der);
X509Ptr cert_from_pem_file(const std::filesystem::path& path);
EvpPkeyPtr private_key_from_pem_file(const std::filesystem::path& path);

void write_cert_pem(const std::filesystem::path& path, X509* cert);
void write_private_key_pem(const std::filesystem::path& path, EVP_PKEY* key);

// PKCS#1 v1.5 type-1 padding of data (a DigestInfo) and a raw RSA private-key operation,
// which is what COMPUTE DIGITAL SIGNATURE with P1=00 does (jpki.md §2.5).
Bytes rsa_pkcs1_sign_raw(EVP_PKEY* key, const Bytes& data);

// The inverse, for tests and self-checks: recovers the DigestInfo from a signature.
Bytes rsa_pkcs1_verify_recover(EVP_PKEY* public_key, const Bytes& signature);

int rsa_key_bytes(EVP_PKEY* key);

}  // namespace kazasu::cardsim
