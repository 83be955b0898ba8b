// A small, bounds-checked DER walker for the start of an X.509 certificate.
// `fast` identification reads only the first 256 bytes of the certificate
// (jpki.md §2.3), which d2i_X509 cannot parse, so this walks just far enough
// to reach TBSCertificate's serialNumber and issuer (RFC 5280 §4.1). Only
// definite lengths (DER); single-byte tags are all a certificate header needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "identify/apdu.hpp"

namespace kazasu::der {

enum class Status {
  ok,
  truncated,   // the bytes end before the element does: read more
  wrong_tag,   // not the element the certificate grammar expects here
  indefinite,  // 0x80 length: BER, never DER
  bad_length,  // a length form or value this walker refuses (0x85+, runs past its parent)
};

const char* to_string(Status s);

/** One element's tag and where its value lies, relative to the buffer. */
struct Header {
  std::uint8_t tag = 0;
  std::size_t header_size = 0;  // tag + length octets
  std::size_t length = 0;       // value octets
  [[nodiscard]] std::size_t total() const { return header_size + length; }
};

/**
 * Reads the tag and length at data[pos]. `truncated` when the header itself
 * is cut short; the value may run past `size` (callers check what they need).
 */
Status read_header(const std::uint8_t* data, std::size_t size, std::size_t pos, Header& out);

/** The identifying fields at the start of a certificate. */
struct CertificatePrefix {
  apdu::Bytes serial;                // INTEGER content octets, as encoded
  apdu::Bytes issuer_der;            // the whole issuer Name TLV
  std::size_t certificate_size = 0;  // total bytes of the certificate TLV
};

struct PrefixResult {
  Status status = Status::truncated;
  std::size_t need = 0;  // with `truncated`: bytes needed from the start, at least
  CertificatePrefix prefix;
};

/** Walks Certificate -> TBSCertificate -> [version] serialNumber signature issuer. */
PrefixResult parse_certificate_prefix(const std::uint8_t* data, std::size_t size);
inline PrefixResult parse_certificate_prefix(const apdu::Bytes& b) {
  return parse_certificate_prefix(b.data(), b.size());
}

/** Upper-case hex of a serial's content octets without the DER sign octet (00 before >= 80). */
std::string serial_hex(const apdu::Bytes& serial);

}  // namespace kazasu::der
