// RAII owners for the OpenSSL handles identification uses (conventions.md:
// no naked C handles), and the one text form of an issuer DN that every level
// shares so a card's token does not change with the reader's level.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>

#include "identify/apdu.hpp"

namespace kazasu::ossl {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct X509NameFree {
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
};
struct X509StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct X509StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct EvpPkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};

using X509Ptr = std::unique_ptr<X509, X509Free>;
using X509NamePtr = std::unique_ptr<X509_NAME, X509NameFree>;
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreFree>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, X509StoreCtxFree>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree>;

/**
 * An issuer Name as text: OpenSSL's one-line form without spaces around '='
 * ("C=JP, O=JPKI, OU=..."), the form the sim driver's default issuer uses.
 * Empty when the DER is not a Name.
 */
std::string name_text(const apdu::Bytes& name_der);
std::string name_text(const X509_NAME* name);

/** The last OpenSSL error as text (and clears the queue). */
std::string last_error();

}  // namespace kazasu::ossl
