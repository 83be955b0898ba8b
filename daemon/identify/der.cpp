#include "identify/der.hpp"

#include <limits>

namespace kazasu::der {
namespace {

constexpr std::uint8_t kTagInteger = 0x02;
constexpr std::uint8_t kTagSequence = 0x30;
constexpr std::uint8_t kTagVersion = 0xA0;   // [0] EXPLICIT Version, RFC 5280 §4.1
constexpr std::size_t kMaxLengthOctets = 4;  // 4 GiB is far beyond any EF (jpki.md §2.3)
constexpr std::size_t kMaxHeaderSize = 1 + 1 + kMaxLengthOctets;
// RFC 5280 §4.1.2.2 allows 20 octets; some CAs overshoot by a sign octet or
// more. Twice that still rejects garbage without refusing sloppy issuers.
constexpr std::size_t kMaxSerialOctets = 40;

PrefixResult fail(Status s, std::size_t need = 0) {
  PrefixResult r;
  r.status = s;
  r.need = need;
  return r;
}

// Reads the header at pos, expects `tag`, and checks it fits inside `parent_end`.
Status expect(const std::uint8_t* data, std::size_t size, std::size_t pos, std::uint8_t tag, std::size_t parent_end,
              Header& h) {
  const Status s = read_header(data, size, pos, h);
  if (s != Status::ok) return s;
  if (h.tag != tag) return Status::wrong_tag;
  if (h.total() > parent_end - pos) return Status::bad_length;
  return Status::ok;
}

}  // namespace

const char* to_string(Status s) {
  switch (s) {
    case Status::ok:
      return "ok";
    case Status::truncated:
      return "the certificate ends early";
    case Status::wrong_tag:
      return "an unexpected tag";
    case Status::indefinite:
      return "an indefinite length (not DER)";
    case Status::bad_length:
      return "a length that does not fit";
  }
  return "unknown";
}

Status read_header(const std::uint8_t* data, std::size_t size, std::size_t pos, Header& out) {
  if (pos >= size || size - pos < 2) return Status::truncated;
  out.tag = data[pos];
  // Multi-byte tags (low five bits all set) never occur in a certificate header.
  if ((out.tag & 0x1F) == 0x1F) return Status::wrong_tag;
  const std::uint8_t first = data[pos + 1];
  if (first < 0x80) {
    out.header_size = 2;
    out.length = first;
    return Status::ok;
  }
  if (first == 0x80) return Status::indefinite;
  const std::size_t octets = first & 0x7F;
  if (octets > kMaxLengthOctets) return Status::bad_length;
  if (size - pos < 2 + octets) return Status::truncated;
  std::size_t length = 0;
  for (std::size_t i = 0; i < octets; ++i) length = (length << 8) | data[pos + 2 + i];
  out.header_size = 2 + octets;
  out.length = length;
  if (out.length > std::numeric_limits<std::size_t>::max() - out.header_size - pos) return Status::bad_length;
  return Status::ok;
}

PrefixResult parse_certificate_prefix(const std::uint8_t* data, std::size_t size) {
  Header cert;
  Status s = read_header(data, size, 0, cert);
  if (s == Status::truncated) return fail(s, kMaxHeaderSize);
  if (s != Status::ok) return fail(s);
  if (cert.tag != kTagSequence) return fail(Status::wrong_tag);
  const std::size_t cert_end = cert.total();

  Header tbs;
  std::size_t pos = cert.header_size;
  s = expect(data, size, pos, kTagSequence, cert_end, tbs);
  if (s == Status::truncated) return fail(s, pos + kMaxHeaderSize);
  if (s != Status::ok) return fail(s);
  const std::size_t tbs_end = pos + tbs.total();
  pos += tbs.header_size;

  Header h;
  s = read_header(data, size, pos, h);
  if (s == Status::truncated) return fail(s, pos + kMaxHeaderSize);
  if (s != Status::ok) return fail(s);
  if (h.tag == kTagVersion) {  // v3 certificates carry it; v1 omit it
    if (h.total() > tbs_end - pos) return fail(Status::bad_length);
    pos += h.total();
  }

  Header serial;
  s = expect(data, size, pos, kTagInteger, tbs_end, serial);
  if (s == Status::truncated) return fail(s, pos + kMaxHeaderSize);
  if (s != Status::ok) return fail(s);
  if (serial.length == 0 || serial.length > kMaxSerialOctets) return fail(Status::bad_length);
  if (pos + serial.total() > size) return fail(Status::truncated, pos + serial.total());
  const std::size_t serial_pos = pos + serial.header_size;
  pos += serial.total();

  Header sig_alg;
  s = expect(data, size, pos, kTagSequence, tbs_end, sig_alg);
  if (s == Status::truncated) return fail(s, pos + kMaxHeaderSize);
  if (s != Status::ok) return fail(s);
  pos += sig_alg.total();

  Header issuer;
  s = expect(data, size, pos, kTagSequence, tbs_end, issuer);
  if (s == Status::truncated) return fail(s, pos + kMaxHeaderSize);
  if (s != Status::ok) return fail(s);
  if (pos + issuer.total() > size) return fail(Status::truncated, pos + issuer.total());

  PrefixResult r;
  r.status = Status::ok;
  r.prefix.serial.assign(data + serial_pos, data + serial_pos + serial.length);
  r.prefix.issuer_der.assign(data + pos, data + pos + issuer.total());
  r.prefix.certificate_size = cert_end;
  return r;
}

std::string serial_hex(const apdu::Bytes& serial) {
  std::size_t skip = 0;
  if (serial.size() > 1 && serial[0] == 0x00 && serial[1] >= 0x80) skip = 1;
  return apdu::to_hex(serial.data() + skip, serial.size() - skip);
}

}  // namespace kazasu::der
