#include "identify/basic_four_reader.hpp"

#include <openssl/crypto.h>

#include <cstdio>

namespace kazasu {
namespace {

using apdu::Bytes;

constexpr std::uint16_t kEfTextPin = 0x0011;    // 券面事項入力補助用暗証番号 (jpki.md §3)
constexpr std::uint16_t kEfBasicFour = 0x0002;  // jpki.md §3.1
constexpr std::size_t kShortChunk = 256;
// EF 0002 holds four short texts; a real card's file is a few hundred bytes.
constexpr std::size_t kMaxBasicFourSize = 4096;

BasicInfoRead outcome(const char* status, std::string message) {
  return BasicInfoRead{status, std::move(message), nullptr};
}

BasicInfoRead locked() {
  return outcome(kBasicInfoPinLocked,
                 "the card-face PIN is locked; the holder can have it reset at the city office counter");
}

// A transport failure (the card pulled away) or a card that answers oddly.
BasicInfoRead failed(const Error& e) {
  return outcome(kBasicInfoReadFailed, e.message);
}

/** Wipes what it holds: response bytes of EF 0002 are personal data. */
class WipedBytes {
 public:
  WipedBytes() = default;
  ~WipedBytes() { wipe(); }
  WipedBytes(const WipedBytes&) = delete;
  WipedBytes& operator=(const WipedBytes&) = delete;
  void reserve(std::size_t n) {
    if (n <= bytes_.capacity()) return;
    Bytes bigger;
    bigger.reserve(n);
    bigger.assign(bytes_.begin(), bytes_.end());
    wipe();
    bytes_.swap(bigger);
  }
  void append_and_wipe(Bytes& more) {
    reserve(bytes_.size() + more.size());
    bytes_.insert(bytes_.end(), more.begin(), more.end());
    if (!more.empty()) OPENSSL_cleanse(more.data(), more.size());
  }
  [[nodiscard]] const Bytes& get() const { return bytes_; }

 private:
  void wipe() {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
    bytes_.clear();
  }
  Bytes bytes_;
};

// Reads EF 0002 (already selected) up to the end of its FF20 element.
Result<bool> read_file(CardChannel& channel, WipedBytes& out) {
  std::size_t want = 0;  // unknown until the header is in
  while (want == 0 || out.get().size() < want) {
    const std::size_t offset = out.get().size();
    const std::size_t remaining = want == 0 ? kShortChunk : want - offset;
    const auto le = remaining >= kShortChunk ? 0 : static_cast<std::uint8_t>(remaining);
    auto r = channel.transmit(apdu::read_binary(static_cast<std::uint16_t>(offset), le));
    if (!r) return r.error();
    if (!r->ok() || r->data.empty()) {
      return Error{kBasicInfoReadFailed, "the card refused to read the basic four (SW " + apdu::sw_text(r->sw) + ")"};
    }
    out.append_and_wipe(r->data);
    if (want == 0) {
      auto size = ber_element_size(out.get().data(), out.get().size());
      if (!size) return size.error();
      want = size.value();
      if (want > kMaxBasicFourSize)
        return Error{kBasicInfoReadFailed, "the card's basic four file is implausibly large"};
      if (want > 0) out.reserve(want);
    }
  }
  return true;
}

}  // namespace

BasicInfoRead read_basic_four(CardChannel& channel, PinSource& pins, const BasicFourOptions& o) {
  auto ap = channel.transmit(apdu::select_aid(apdu::kTextAid));
  if (!ap) return failed(ap.error());
  if (!ap->ok()) {
    pins.discard(o.reader, PinPurpose::basic_info);
    return outcome(kBasicInfoNotAvailable,
                   "the card has no card-face input support application (SW " + apdu::sw_text(ap->sw) + ")");
  }
  auto pin_ef = channel.transmit(apdu::select_ef(kEfTextPin));
  if (!pin_ef) return failed(pin_ef.error());
  if (!pin_ef->ok()) {
    pins.discard(o.reader, PinPurpose::basic_info);
    return outcome(kBasicInfoNotAvailable, "the card has no card-face PIN (SW " + apdu::sw_text(pin_ef->sw) + ")");
  }
  // The empty VERIFY costs no try (jpki.md §2.4): a locked PIN is never tried,
  // and the PIN armed for this holder is dropped, not left for the next card.
  auto status = channel.transmit({0x00, 0x20, 0x00, 0x80});
  if (!status) return failed(status.error());
  if (status->sw == apdu::kSwPinBlocked || apdu::pin_tries_left(status->sw) == 0) {
    pins.discard(o.reader, PinPurpose::basic_info);
    return locked();
  }

  std::optional<SecretPin> pin = pins.take(o.reader, PinPurpose::basic_info, o.pin_timeout);
  if (!pin) {
    return outcome(kBasicInfoNoPin, "no card-face PIN was entered for this tap (kazasuctl pin --reader " + o.reader +
                                        " --for basic_info)");
  }
  Bytes verify = apdu::command(0x00, 0x20, 0x00, 0x80, reinterpret_cast<const std::uint8_t*>(pin->digits().data()),
                               pin->digits().size());
  pin.reset();
  auto verified = channel.transmit(verify);
  OPENSSL_cleanse(verify.data(), verify.size());
  if (!verified) return failed(verified.error());
  if (verified->sw == apdu::kSwPinBlocked || apdu::pin_tries_left(verified->sw) == 0) return locked();
  if (const int left = apdu::pin_tries_left(verified->sw); left > 0) {
    return outcome(kBasicInfoPinWrong, "wrong card-face PIN; " + std::to_string(left) +
                                           (left == 1 ? " try" : " tries") + " left before it locks");
  }
  if (!verified->ok()) {
    return outcome(kBasicInfoReadFailed, "the card refused the card-face PIN (SW " + apdu::sw_text(verified->sw) + ")");
  }

  auto ef = channel.transmit(apdu::select_ef(kEfBasicFour));
  if (!ef) return failed(ef.error());
  if (!ef->ok())
    return outcome(kBasicInfoReadFailed, "the card has no basic four file (SW " + apdu::sw_text(ef->sw) + ")");
  WipedBytes file;
  if (auto r = read_file(channel, file); !r) return failed(r.error());
  auto four = std::make_shared<BasicFour>();
  if (auto parsed = parse_basic_four(file.get(), *four); !parsed) return failed(parsed.error());
  return BasicInfoRead{kBasicInfoRead, "the basic four were read with the holder's PIN", std::move(four)};
}

}  // namespace kazasu
