// READ BINARY, VERIFY and COMPUTE DIGITAL SIGNATURE: the commands that touch files,
// PINs and keys (jpki.md §2.2-§2.5).
#include <algorithm>

#include "card.hpp"
#include "status_words.hpp"

namespace kazasu::cardsim {

namespace {

constexpr std::uint8_t kSfiFlag = 0x80;  // P1 bit 8: short EF identifier form (jpki.md §2.3 MBX)
constexpr std::uint8_t kSfiMask = 0x1F;
constexpr std::uint8_t kCurrentKeyRef = 0x80;  // P2=80: "key of the current EF" (§2.4, §2.5)
constexpr std::size_t kPkcs1Overhead = 11;     // k-11 bytes of input, jpki.md §2.5

}  // namespace

ResponseApdu Card::read_binary(const CommandApdu& apdu) {
  if (apdu.apdu_case != ApduCase::kCase2) return ResponseApdu::status(kSwWrongLength);
  std::size_t offset = 0;
  if (apdu.p1 & kSfiFlag) {
    if (apdu.p1 & 0x60) return ResponseApdu::status(kSwWrongP1P2);
    // SFI form selects the EF implicitly; the offset shrinks to P2 alone.
    ResponseApdu selected = select_ef(apdu.p1 & kSfiMask);
    if (selected.sw != kSwOk) return selected;
    offset = apdu.p2;
  } else {
    offset = (std::size_t{apdu.p1} << 8) | apdu.p2;  // 15-bit offset
  }
  Application* app = current_app();
  if (!app || current_.kind == Kind::kNone) return ResponseApdu::status(kSwNoCurrentEf);
  if (current_.kind != Kind::kEf) return ResponseApdu::status(kSwIncompatibleFile);
  const ElementaryFile& ef = app->efs.at(current_.fid);
  if (ef.pin && !pin_verified(*ef.pin)) return ResponseApdu::status(kSwSecurityNotSatisfied);
  if (offset >= ef.content.size()) return ResponseApdu::status(kSwWrongOffset);
  // Le beyond the end: return the tail with 9000. Hosts stop on a short chunk (jpki.md
  // §2.3 JRS/MYNA) and 9000 keeps OpenSC's generic read loop happy.
  const std::size_t count = std::min<std::size_t>(*apdu.le, ef.content.size() - offset);
  const auto begin = ef.content.begin() + static_cast<long>(offset);
  return ResponseApdu{Bytes(begin, begin + static_cast<long>(count)), kSwOk};
}

ResponseApdu Card::verify(const CommandApdu& apdu) {
  if (apdu.p1 != 0x00 || !(apdu.p2 & kCurrentKeyRef)) return ResponseApdu::status(kSwWrongP1P2);
  if (apdu.apdu_case == ApduCase::kCase2) return ResponseApdu::status(kSwWrongLength);
  Application* app = current_app();
  if (!app) return ResponseApdu::status(kSwRefDataNotFound);
  std::uint16_t fid = apdu.p2 & kSfiMask;
  if (apdu.p2 == kCurrentKeyRef) {
    if (current_.kind != Kind::kPin) return ResponseApdu::status(kSwRefDataNotFound);
    fid = current_.fid;
  }
  const auto it = app->pins.find(fid);
  if (it == app->pins.end()) return ResponseApdu::status(kSwRefDataNotFound);
  PinCounter& pin = it->second;
  if (apdu.data.empty()) return ResponseApdu::status(pin.query());
  const int before = pin.remaining();
  const std::uint16_t sw = pin.verify(apdu.data);
  if (pin.remaining() != before && pin_observer_) pin_observer_(pin.name(), pin.remaining());
  return ResponseApdu::status(sw);
}

ResponseApdu Card::compute_signature(const CommandApdu& apdu) {
  // Only P1=00 (host sends a DigestInfo) is modelled; the other schemes of jpki.md §2.5
  // are single-source, so they answer like an unknown scheme.
  if (apdu.p1 != 0x00 || !(apdu.p2 & kCurrentKeyRef)) return ResponseApdu::status(kSwWrongP1P2);
  Application* app = current_app();
  if (!app) return ResponseApdu::status(kSwRefDataNotFound);
  std::uint16_t fid = apdu.p2 & kSfiMask;
  if (apdu.p2 == kCurrentKeyRef) {
    if (current_.kind != Kind::kKey) return ResponseApdu::status(kSwRefDataNotFound);
    fid = current_.fid;
  }
  const auto it = app->keys.find(fid);
  if (it == app->keys.end()) return ResponseApdu::status(kSwRefDataNotFound);
  const KeyFile& key = it->second;
  // Syntax before state: a malformed length is 6700 whatever the PIN state.
  const std::size_t max_input = static_cast<std::size_t>(rsa_key_bytes(key.key.get())) - kPkcs1Overhead;
  if (apdu.data.empty() || apdu.data.size() > max_input) return ResponseApdu::status(kSwWrongLength);
  if (!pin_verified(key.pin)) return ResponseApdu::status(kSwSecurityNotSatisfied);
  return ResponseApdu{rsa_pkcs1_sign_raw(key.key.get(), apdu.data), kSwOk};
}

}  // namespace kazasu::cardsim
