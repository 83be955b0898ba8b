#include "identify/jpki_certificate.hpp"

#include <algorithm>
#include <cstdio>

#include "identify/identifier.hpp"

namespace kazasu::jpki {
namespace {

using apdu::Bytes;

constexpr std::uint8_t kSfiAuthCert = 0x0A;      // EF 000A as a short EF identifier (jpki.md §2.3 MBX)
constexpr std::size_t kShortChunk = 256;         // Le=00 (jpki.md §7.3)
constexpr std::size_t kMaxShortOffset = 0x7FFF;  // 15-bit P1-P2 offset (jpki.md §2.3 MNC)
constexpr std::size_t kMaxExtendedLe = 0xFFFF;
// The issuer of any real certificate sits well inside 2 KiB; more reads than
// this mean a malformed file, not a long issuer.
constexpr int kMaxPrefixReads = 8;

Error malformed(der::Status s) {
  return Error{kReadFailed, std::string("the card's certificate could not be read: ") + der::to_string(s)};
}

}  // namespace

Result<bool> select_ap(CardChannel& channel) {
  auto r = channel.transmit(apdu::select_aid(apdu::kJpkiAid));
  if (!r) return r.error();
  if (!r->ok()) return Error{kNotThisCard, "no JPKI application (SW " + apdu::sw_text(r->sw) + ")"};
  return true;
}

Result<Bytes> read_head(CardChannel& channel) {
  auto r = channel.transmit(apdu::read_binary_sfi(kSfiAuthCert, 0, 0));
  if (!r) return r.error();
  if (r->ok() && !r->data.empty()) return std::move(r->data);
  // Some cards refuse the short-EF-identifier form: SELECT the EF instead.
  auto sel = channel.transmit(apdu::select_ef(apdu::kEfAuthCert));
  if (!sel) return sel.error();
  if (!sel->ok())
    return Error{kReadFailed, "the card has no authentication certificate (SW " + apdu::sw_text(sel->sw) + ")"};
  auto rb = channel.transmit(apdu::read_binary(0, 0));
  if (!rb) return rb.error();
  if (!rb->ok() || rb->data.empty()) {
    return Error{kReadFailed, "the card refused to read its certificate (SW " + apdu::sw_text(rb->sw) + ")"};
  }
  return std::move(rb->data);
}

Result<bool> read_to(CardChannel& channel, Bytes& have, std::size_t want) {
  if (want > kMaxShortOffset + 1) return Error{kReadFailed, "the card's certificate is implausibly large"};
  bool extended = channel.extended_length();
  bool reselected = false;
  while (have.size() < want) {
    const std::size_t offset = have.size();
    const std::size_t remaining = want - offset;
    Bytes command;
    if (extended && remaining > kShortChunk) {
      command = apdu::read_binary_extended(static_cast<std::uint16_t>(offset),
                                           static_cast<std::uint16_t>(std::min(remaining, kMaxExtendedLe)));
    } else {
      const auto le = remaining >= kShortChunk ? 0 : static_cast<std::uint8_t>(remaining);
      command = apdu::read_binary(static_cast<std::uint16_t>(offset), le);
    }
    auto r = channel.transmit(command);
    if (!r) return r.error();
    if (r->sw == apdu::kSwNoCurrentEf && !reselected) {
      // The card did not make EF 000A current on the SFI read: select it.
      reselected = true;
      auto sel = channel.transmit(apdu::select_ef(apdu::kEfAuthCert));
      if (!sel) return sel.error();
      if (!sel->ok())
        return Error{kReadFailed, "the card lost its certificate file (SW " + apdu::sw_text(sel->sw) + ")"};
      continue;
    }
    if (!r->ok() && command.size() == 7) {
      extended = false;  // the card or reader refuses extended Le: short chunks from here
      continue;
    }
    if (!r->ok() || r->data.empty()) {
      return Error{kReadFailed, "the card's certificate ended early (SW " + apdu::sw_text(r->sw) + ")"};
    }
    have.insert(have.end(), r->data.begin(), r->data.end());
  }
  have.resize(want);
  return true;
}

Result<der::CertificatePrefix> read_prefix(CardChannel& channel) {
  auto head = read_head(channel);
  if (!head) return head.error();
  Bytes& bytes = head.value();
  for (int i = 0; i < kMaxPrefixReads; ++i) {
    der::PrefixResult p = der::parse_certificate_prefix(bytes);
    if (p.status == der::Status::ok) return std::move(p.prefix);
    if (p.status != der::Status::truncated || p.need <= bytes.size()) return malformed(p.status);
    // The issuer runs past what we have: read to the next 256-byte boundary.
    const std::size_t want = (p.need + kShortChunk - 1) / kShortChunk * kShortChunk;
    auto more = read_to(channel, bytes, want);
    if (!more) return more.error();
  }
  return malformed(der::Status::bad_length);
}

Result<Bytes> read_certificate(CardChannel& channel) {
  auto head = read_head(channel);
  if (!head) return head.error();
  Bytes& bytes = head.value();
  der::Header h;
  const der::Status s = der::read_header(bytes.data(), bytes.size(), 0, h);
  if (s != der::Status::ok) return malformed(s);
  if (h.tag != 0x30) return malformed(der::Status::wrong_tag);
  if (bytes.size() < h.total()) {
    auto more = read_to(channel, bytes, h.total());
    if (!more) return more.error();
  }
  bytes.resize(h.total());  // cut the filler after the TLV
  return std::move(bytes);
}

}  // namespace kazasu::jpki
