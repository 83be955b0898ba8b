#include "card.hpp"

#include <algorithm>

#include "status_words.hpp"

namespace kazasu::cardsim {

namespace {

constexpr std::uint8_t kClaIso = 0x00;
constexpr std::uint8_t kClaProprietary = 0x80;          // COMPUTE DIGITAL SIGNATURE, jpki.md §2.5
constexpr std::uint8_t kClaReader = 0xFF;               // PC/SC pseudo-APDUs (GET DATA UID)
constexpr std::uint8_t kClaSecureMessagingBits = 0x0C;  // CLA 08/0C refused, jpki.md §7.11

constexpr std::uint8_t kInsSelect = 0xA4;
constexpr std::uint8_t kInsReadBinary = 0xB0;
constexpr std::uint8_t kInsVerify = 0x20;
constexpr std::uint8_t kInsGetData = 0xCA;
constexpr std::uint8_t kInsGetResponse = 0xC0;
constexpr std::uint8_t kInsComputeSignature = 0x2A;

}  // namespace

Card::Card(CardModel model, CardOptions options) : model_(std::move(model)), options_(options) {}

void Card::clear_selection() {
  current_app_.reset();
  current_ = {};
  pending_response_.clear();
}

void Card::power_on() {
  clear_selection();
}

void Card::power_off() {
  clear_selection();
  for (auto& app : model_.apps) {
    for (auto& [fid, pin] : app.pins) pin.clear_verified();
  }
}

void Card::warm_reset() {
  clear_selection();
}

const PinCounter* Card::find_pin(const std::string& app_name, std::uint16_t fid) const {
  for (const auto& app : model_.apps) {
    if (app.name != app_name) continue;
    const auto it = app.pins.find(fid);
    return it == app.pins.end() ? nullptr : &it->second;
  }
  return nullptr;
}

Application* Card::current_app() {
  return current_app_ ? &model_.apps[*current_app_] : nullptr;
}

bool Card::pin_verified(std::uint16_t pin_fid) {
  Application* app = current_app();
  if (!app) return false;
  const auto it = app->pins.find(pin_fid);
  return it != app->pins.end() && it->second.verified();
}

void Card::emit(const std::string& event) {
  if (event_sink_) event_sink_(event);
}

ResponseApdu Card::process(const Bytes& raw) {
  const ParseResult parsed = parse_apdu(raw);
  if (!parsed.apdu) return ResponseApdu::status(kSwWrongLength);
  const CommandApdu& apdu = *parsed.apdu;
  if (!options_.get_response_mode || apdu.cla == kClaReader) return dispatch(apdu);
  if (apdu.cla == kClaIso && apdu.ins == kInsGetResponse) return get_response(apdu);
  pending_response_.clear();
  return apply_get_response_mode(apdu, dispatch(apdu));
}

ResponseApdu Card::dispatch(const CommandApdu& apdu) {
  if (apdu.cla == kClaReader) {
    return apdu.ins == kInsGetData ? get_uid(apdu) : ResponseApdu::status(kSwInsNotSupported);
  }
  if ((apdu.cla & 0xF0) == 0x00 && (apdu.cla & kClaSecureMessagingBits) != 0) {
    return ResponseApdu::status(kSwSecureMessagingUnsupported);
  }
  if (apdu.cla == kClaIso) {
    switch (apdu.ins) {
      case kInsSelect:
        return select(apdu);
      case kInsReadBinary:
        return read_binary(apdu);
      case kInsVerify:
        return verify(apdu);
      case kInsGetData:
        return get_data(apdu);
      default:
        return ResponseApdu::status(kSwInsNotSupported);
    }
  }
  if (apdu.cla == kClaProprietary) {
    if (apdu.ins == kInsComputeSignature) return compute_signature(apdu);
    return ResponseApdu::status(kSwInsNotSupported);
  }
  return ResponseApdu::status(kSwClaNotSupported);
}

ResponseApdu Card::select(const CommandApdu& apdu) {
  constexpr std::uint8_t kByDfName = 0x04;  // jpki.md §2.1
  constexpr std::uint8_t kEfUnderDf = 0x02;
  constexpr std::uint8_t kMfOrFid = 0x00;
  constexpr std::uint8_t kNoFci = 0x0C;
  constexpr std::uint8_t kFirstOrOnly = 0x00;
  if (apdu.p2 != kNoFci && apdu.p2 != kFirstOrOnly) return ResponseApdu::status(kSwWrongP1P2);

  if (apdu.p1 == kByDfName) {
    if (apdu.data.empty()) return ResponseApdu::status(kSwWrongLength);
    for (std::size_t i = 0; i < model_.apps.size(); ++i) {
      if (model_.apps[i].aid == apdu.data) {
        clear_selection();
        current_app_ = i;
        // No FCI even for P2=00: the sources only ever use 0C and none documents the FCI.
        return ResponseApdu::status(kSwOk);
      }
    }
    return ResponseApdu::status(kSwFileNotFound);
  }
  if (apdu.p1 == kMfOrFid && apdu.data.empty()) {
    // Select MF: 6A86 with no application, a silent no-op with one (jpki.md §2.1, §7.10).
    return ResponseApdu::status(current_app() ? kSwOk : kSwWrongP1P2);
  }
  if (apdu.p1 == kEfUnderDf || apdu.p1 == kMfOrFid) {
    if (apdu.data.size() != 2) return ResponseApdu::status(kSwWrongLength);
    return select_ef(static_cast<std::uint16_t>((apdu.data[0] << 8) | apdu.data[1]));
  }
  return ResponseApdu::status(kSwWrongP1P2);
}

ResponseApdu Card::select_ef(std::uint16_t fid) {
  Application* app = current_app();
  // EFs live only inside APs here; 3F00 by FID is 6A82 on the real card (jpki.md §2.1).
  if (!app) return ResponseApdu::status(kSwFileNotFound);
  if (const auto ef = app->efs.find(fid); ef != app->efs.end()) {
    current_ = {Kind::kEf, fid};
    if (!ef->second.select_marker.empty()) emit(ef->second.select_marker);
    return ResponseApdu::status(kSwOk);
  }
  if (app->pins.count(fid)) {
    current_ = {Kind::kPin, fid};
    return ResponseApdu::status(kSwOk);
  }
  if (app->keys.count(fid)) {
    current_ = {Kind::kKey, fid};
    return ResponseApdu::status(kSwOk);
  }
  return ResponseApdu::status(kSwFileNotFound);
}

ResponseApdu Card::get_data(const CommandApdu& apdu) {
  // GET DATA 5F51: the contact ATR without TS (jpki.md §1).
  if (apdu.p1 != 0x5F || apdu.p2 != 0x51) return ResponseApdu::status(kSwRefDataNotFound);
  if (apdu.apdu_case != ApduCase::kCase2) return ResponseApdu::status(kSwWrongLength);
  return ResponseApdu{Bytes(model_.atr.begin() + 1, model_.atr.end()), kSwOk};
}

ResponseApdu Card::get_uid(const CommandApdu& apdu) {
  // PC/SC part 3 GET DATA: P1=00 UID. Only badge profiles have one; a My Number Card is
  // ISO 14443 Type B and the daemon must not rely on its (random) PUPI.
  if (apdu.p1 != 0x00 || apdu.p2 != 0x00) return ResponseApdu::status(kSwFuncNotSupported);
  if (!model_.uid) return ResponseApdu::status(kSwFuncNotSupported);
  if (apdu.apdu_case != ApduCase::kCase2) return ResponseApdu::status(kSwWrongLength);
  const std::uint32_t le = *apdu.le;
  if (le != 256 && le < model_.uid->size()) {
    return ResponseApdu::status(static_cast<std::uint16_t>(kSwWrongLe | model_.uid->size()));
  }
  return ResponseApdu{*model_.uid, kSwOk};
}

ResponseApdu Card::apply_get_response_mode(const CommandApdu& apdu, ResponseApdu response) {
  if (response.data.empty() || apdu.extended) return response;
  if (apdu.apdu_case == ApduCase::kCase2) {
    // T=0 case 2: the card wants exactly Le; a short file tail gets 6Cxx (ISO 7816-3 §12.2.2).
    if (*apdu.le != response.data.size()) {
      return ResponseApdu::status(static_cast<std::uint16_t>(kSwWrongLe | (response.data.size() & 0xFF)));
    }
    return response;
  }
  pending_response_ = std::move(response.data);
  const std::size_t available = std::min<std::size_t>(pending_response_.size(), 256);
  return ResponseApdu::status(static_cast<std::uint16_t>(kSwBytesAvailable | (available & 0xFF)));
}

ResponseApdu Card::get_response(const CommandApdu& apdu) {
  if (apdu.p1 != 0 || apdu.p2 != 0) return ResponseApdu::status(kSwWrongP1P2);
  if (apdu.apdu_case != ApduCase::kCase2) return ResponseApdu::status(kSwWrongLength);
  if (pending_response_.empty()) return ResponseApdu::status(kSwConditionsNotSatisfied);
  const std::size_t le = *apdu.le;
  if (le > pending_response_.size()) {
    return ResponseApdu::status(static_cast<std::uint16_t>(kSwWrongLe | (pending_response_.size() & 0xFF)));
  }
  ResponseApdu out{Bytes(pending_response_.begin(), pending_response_.begin() + static_cast<long>(le)), kSwOk};
  pending_response_.erase(pending_response_.begin(), pending_response_.begin() + static_cast<long>(le));
  if (!pending_response_.empty()) {
    const std::size_t rest = std::min<std::size_t>(pending_response_.size(), 256);
    out.sw = static_cast<std::uint16_t>(kSwBytesAvailable | (rest & 0xFF));
  }
  return out;
}

}  // namespace kazasu::cardsim
