#include "identify/jpki_identifier.hpp"

#include <stdexcept>

#include "identify/der.hpp"
#include "identify/jpki_certificate.hpp"
#include "identify/jpki_possession.hpp"
#include "identify/ossl.hpp"

namespace kazasu {
namespace {

Result<CardIdentity> identity_of(const der::CertificatePrefix& p, JpkiLevel level) {
  std::string issuer = ossl::name_text(p.issuer_der);
  if (issuer.empty()) return Error{kReadFailed, "the card's certificate issuer could not be read"};
  return CardIdentity{"jpki", to_string(level), std::move(issuer), der::serial_hex(p.serial)};
}

}  // namespace

const char* to_string(JpkiLevel level) {
  switch (level) {
    case JpkiLevel::fast:
      return "fast";
    case JpkiLevel::verified:
      return "verified";
    case JpkiLevel::possession:
      return "possession";
  }
  return "fast";
}

JpkiIdentifier::JpkiIdentifier(JpkiOptions options) : options_(std::move(options)) {
  if (options_.level != JpkiLevel::fast && !options_.trust) {
    throw std::invalid_argument("jpki above level fast needs trust anchors");
  }
  if (options_.level == JpkiLevel::possession && options_.pins == nullptr) {
    throw std::invalid_argument("jpki possession needs a PIN source");
  }
}

Result<CardIdentity> JpkiIdentifier::identify(CardChannel& channel) {
  auto selected = jpki::select_ap(channel);
  if (!selected) return selected.error();
  return options_.level == JpkiLevel::fast ? identify_fast(channel) : identify_verified(channel);
}

Result<CardIdentity> JpkiIdentifier::identify_fast(CardChannel& channel) {
  auto prefix = jpki::read_prefix(channel);
  if (!prefix) return prefix.error();
  return identity_of(prefix.value(), JpkiLevel::fast);
}

Result<CardIdentity> JpkiIdentifier::identify_verified(CardChannel& channel) {
  auto der_bytes = jpki::read_certificate(channel);
  if (!der_bytes) return der_bytes.error();
  const apdu::Bytes& bytes = der_bytes.value();
  const unsigned char* p = bytes.data();
  ossl::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(bytes.size())));
  if (!cert || p != bytes.data() + bytes.size()) {
    ossl::last_error();
    return Error{kReadFailed, "the card's certificate is not valid DER"};
  }
  if (auto refused = options_.trust->verify(cert.get(), std::time(nullptr))) return *refused;
  if (options_.level == JpkiLevel::possession) {
    auto proved = jpki::prove_possession(channel, cert.get(), *options_.pins,
                                         jpki::PossessionOptions{options_.reader, options_.pin_timeout});
    if (!proved) return proved.error();
  }
  // The same walker as `fast`, so a card's identity is equal at every level.
  const der::PrefixResult prefix = der::parse_certificate_prefix(bytes);
  if (prefix.status != der::Status::ok) {
    return Error{kReadFailed,
                 std::string("the card's certificate could not be read: ") + der::to_string(prefix.status)};
  }
  return identity_of(prefix.prefix, options_.level);
}

}  // namespace kazasu
