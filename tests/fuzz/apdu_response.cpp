// Fuzz target: response APDUs from a card, through CardChannel (61xx GET
// RESPONSE chaining, 6Cxx resends, status words) into the identifiers that
// read them: uid, freearea, jpki fast, the whole JPKI certificate and the
// basic four. The card is outside input: anyone can hold any card (or a
// programmable one) to a reader.
//
// Input: byte 0 picks the flow (bits 0-2) and extended-length support
// (bit 3); then one response per command the flow sends, each a length
// byte (0xFF: a 2-byte big-endian length follows) and that many bytes
// (data + SW1 SW2). When the bytes run out the card is "removed".
#include <chrono>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "identify/basic_four_reader.hpp"
#include "identify/freearea_identifier.hpp"
#include "identify/jpki_certificate.hpp"
#include "identify/jpki_identifier.hpp"
#include "identify/pin_source.hpp"
#include "identify/uid_identifier.hpp"

namespace {

using namespace kazasu;

class FuzzedCard : public CardChannel {
 public:
  FuzzedCard(fuzz::Input& in, bool extended) : in_(in), extended_(extended) {}
  [[nodiscard]] bool extended_length() const override { return extended_; }

 protected:
  Result<apdu::Bytes> exchange(const apdu::Bytes& command) override {
    if (command.size() < 4) __builtin_trap();  // the daemon never builds a command without a header
    if (in_.empty()) return Error{kReadFailed, "the card was removed"};
    std::size_t n = in_.byte();
    if (n == 0xFF) n = (std::size_t{in_.byte()} << 8) | in_.byte();
    const std::string_view r = in_.take(n);
    return apdu::Bytes(r.begin(), r.end());
  }

 private:
  fuzz::Input& in_;
  bool extended_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  const std::uint8_t mode = in.byte();
  FuzzedCard card(in, (mode & 0x08) != 0);
  switch (mode & 0x07) {
    case 0: {
      UidIdentifier uid;
      (void)uid.identify(card);
      break;
    }
    case 1: {
      FreeAreaOptions o;
      o.aid = {0xD3, 0x92, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
      o.ef = 0x0001;
      o.tag = (mode & 0x10) != 0 ? apdu::Bytes{0x5F, 0x20} : apdu::Bytes{0x80};
      FreeAreaIdentifier fa(o);
      (void)fa.identify(card);
      break;
    }
    case 2: {
      JpkiIdentifier jpki(JpkiOptions{});
      (void)jpki.identify(card);
      break;
    }
    case 3: {
      (void)jpki::read_certificate(card);
      break;
    }
    case 4: {
      ArmedPinSource pins(std::chrono::seconds(60));
      std::string pin = "1234";
      pins.arm("r", PinPurpose::basic_info, pin);
      BasicFourOptions o;
      o.reader = "r";
      (void)read_basic_four(card, pins, o);
      break;
    }
    default: {
      // Raw transmits: chaining and resends on their own.
      for (int i = 0; i < 4 && !in.empty(); ++i) {
        (void)card.transmit(apdu::read_binary(static_cast<std::uint16_t>(i * 256), 0));
      }
      break;
    }
  }
  return 0;
}
