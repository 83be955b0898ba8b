// Building X.509 certificates for the JPKI-like test hierarchy (jpki.md §5).
#pragma once

#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "ossl.hpp"

namespace kazasu::cardsim {

using NameEntries = std::vector<std::pair<std::string, std::string>>;

// Issuer DNs of the J-LIS roots with O=JPKI-TEST as on test cards (jpki.md §5 "Issuers").
NameEntries auth_ca_dn();
NameEntries sign_ca_dn();

X509NamePtr make_name(const NameEntries& entries);

struct CertRequest {
  const NameEntries* subject = nullptr;
  EVP_PKEY* subject_key = nullptr;
  // Issuer: null for a self-signed root.
  X509* issuer_cert = nullptr;
  EVP_PKEY* issuer_key = nullptr;
  Bytes serial;  // big-endian, positive
  std::time_t not_before = 0;
  std::time_t not_after = 0;
  bool ca = false;
  std::string key_usage;  // OpenSSL config syntax, e.g. "critical,digitalSignature"
  // otherName subjectAltName entries (OID, UTF-8 value), as on the signature cert.
  std::vector<std::pair<std::string, std::string>> other_names;
};

// sha256WithRSAEncryption, X.509 v3.
X509Ptr issue_cert(const CertRequest& request);

// Root CA: RSA-2048, CA:TRUE, keyCertSign+cRLSign (jpki.md §5 "Root generations").
struct CaPair {
  X509Ptr cert;
  EvpPkeyPtr key;
};
CaPair make_root(const NameEntries& dn, const Bytes& serial, std::time_t not_before, std::time_t not_after);

// Helpers on civil dates in UTC.
std::time_t utc_time(int year, int month, int day, int hour = 0, int minute = 0, int second = 0);
std::string iso8601(std::time_t t);

}  // namespace kazasu::cardsim
