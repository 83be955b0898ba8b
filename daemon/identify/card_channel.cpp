#include "identify/card_channel.hpp"

#include <openssl/crypto.h>

#include <algorithm>

namespace kazasu {
namespace {

using apdu::Bytes;
using apdu::Response;

constexpr std::uint8_t kInsSelect = 0xA4;
constexpr std::uint8_t kInsReadBinary = 0xB0;
constexpr std::uint8_t kInsReadRecord = 0xB2;
constexpr std::uint8_t kSelectByName = 0x04;
constexpr std::uint8_t kSfiFlag = 0x80;
// A card may chain many 61xx blocks; more than this is a broken card, not data.
constexpr int kMaxChainedResponses = 64;

// The Le byte of a short case-2 or case-4 command, if it has one.
bool has_short_le(const Bytes& c) {
  if (c.size() == 5) return true;                                    // case 2: CLA INS P1 P2 Le
  if (c.size() > 5 && c[4] != 0) return c.size() == 5u + c[4] + 1u;  // case 4: ... Lc data Le
  return false;
}

}  // namespace

bool CardChannel::would_touch_my_number(const Bytes& c) const {
  if (c.size() < 4 || current_aid_ != apdu::kTextAid) return false;
  const std::uint8_t ins = c[1];
  const std::uint8_t p1 = c[2];
  if (ins == kInsSelect && p1 != kSelectByName && c.size() >= 7) {
    // By file ID or by path: the last two bytes name the file.
    const std::size_t lc = c[4];
    if (c.size() < 5 + lc || lc < 2) return false;
    const std::uint16_t fid = static_cast<std::uint16_t>((c[5 + lc - 2] << 8) | c[5 + lc - 1]);
    return fid == apdu::kEfMyNumber;
  }
  if ((ins == kInsReadBinary || ins == kInsReadRecord) && (p1 & kSfiFlag) != 0) {
    return (p1 & 0x1F) == apdu::kEfMyNumber;  // SFI 1 = EF 0001 (jpki.md §3 MBX)
  }
  return false;
}

void CardChannel::note_selection(const Bytes& c, const Response& r) {
  if (c.size() >= 5 && c[1] == kInsSelect && c[2] == kSelectByName && r.ok()) {
    current_aid_.assign(c.begin() + 5, c.begin() + 5 + std::min<std::size_t>(c[4], c.size() - 5));
  }
}

Result<Response> CardChannel::exchange_once(const Bytes& command) {
  ++exchanged_;
  auto raw = exchange(command);
  if (!raw) return raw.error();
  Bytes& b = raw.value();
  if (b.size() < 2) return Error{kReadFailed, "the card sent a response without a status word"};
  Response r;
  r.sw = static_cast<std::uint16_t>((b[b.size() - 2] << 8) | b.back());
  r.data.assign(b.begin(), b.end() - 2);
  OPENSSL_cleanse(b.data(), b.size());  // it may be a signature or a certificate; no copies linger
  return r;
}

Result<Response> CardChannel::transmit(const Bytes& command) {
  if (would_touch_my_number(command)) {
    // A programming error, never a card's doing: refuse before a byte is sent.
    return Error{"privacy_refused", "kazasu never selects the My Number file of the card-face input support AP"};
  }
  auto first = exchange_once(command);
  if (!first) return first;
  Response r = std::move(first.value());

  if (r.sw1() == apdu::kSw1WrongLe && has_short_le(command)) {
    Bytes again = command;
    again.back() = r.sw2();
    auto resent = exchange_once(again);
    OPENSSL_cleanse(again.data(), again.size());
    if (!resent) return resent;
    r = std::move(resent.value());
  }

  int chained = 0;
  while (r.sw1() == apdu::kSw1BytesAvailable) {
    if (++chained > kMaxChainedResponses) return Error{kReadFailed, "the card kept answering 61xx"};
    Bytes get_response = {0x00, 0xC0, 0x00, 0x00, r.sw2()};
    auto next = exchange_once(get_response);
    if (!next) return next;
    if (next->sw1() == apdu::kSw1WrongLe) {
      get_response.back() = next->sw2();
      next = exchange_once(get_response);
      if (!next) return next;
    }
    r.data.insert(r.data.end(), next->data.begin(), next->data.end());
    r.sw = next->sw;
  }
  note_selection(command, r);
  return r;
}

}  // namespace kazasu
