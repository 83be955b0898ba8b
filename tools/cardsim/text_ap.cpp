// The text AP (券面事項入力補助AP): My Number and the basic four, behind the 4-digit
// text PIN (jpki.md §3, §3.1).
#include <stdexcept>

#include "applications.hpp"
#include "tlv.hpp"

namespace kazasu::cardsim {

namespace {

const Bytes kTagMyNumber = {0xFF, 0x10};   // jpki.md §3 EF 0001
const Bytes kTagBasicFour = {0xFF, 0x20};  // jpki.md §3.1
const Bytes kTagOffsets = {0xDF, 0x21};
const Bytes kTagName = {0xDF, 0x22};
const Bytes kTagAddress = {0xDF, 0x23};
const Bytes kTagBirth = {0xDF, 0x24};
const Bytes kTagSex = {0xDF, 0x25};
constexpr std::size_t kMyNumberDigits = 12;
constexpr std::size_t kMyNumberEfSize = 17;  // 15-byte TLV + FF FF, jpki.md §3

}  // namespace

Bytes make_my_number_ef(const std::string& my_number) {
  if (my_number.size() != kMyNumberDigits) throw std::invalid_argument("My Number must be 12 digits");
  return pad_with_filler(tlv(kTagMyNumber, to_bytes(my_number)), kMyNumberEfSize);
}

Bytes make_basic_four_tlv(const BasicFour& b) {
  const Bytes name = tlv(kTagName, to_bytes(b.name));
  const Bytes address = tlv(kTagAddress, to_bytes(b.address));
  const Bytes birth = tlv(kTagBirth, to_bytes(b.birth));
  const Bytes sex = tlv(kTagSex, to_bytes(b.sex));
  const std::size_t offsets_tlv_size = 2 + 1 + 8;
  const std::size_t inner_size = offsets_tlv_size + name.size() + address.size() + birth.size() + sex.size();
  // Offsets count from the start of the file, so they depend on how long the outer
  // length field is (81/82 forms for long addresses).
  const std::size_t header = kTagBasicFour.size() + ber_length(inner_size).size();
  Bytes offsets;
  std::size_t at = header + offsets_tlv_size;
  for (const Bytes* field : {&name, &address, &birth, &sex}) {
    append_be16(offsets, static_cast<std::uint16_t>(at));
    at += field->size();
  }
  Bytes inner = tlv(kTagOffsets, offsets);
  for (const Bytes* field : {&name, &address, &birth, &sex}) append(inner, *field);
  return tlv(kTagBasicFour, inner);
}

Application make_text_ap(const CardProfile& profile, const std::map<std::string, int>& pin_state) {
  Application app;
  app.name = "text";
  app.aid = kTextAid;
  const auto pin = profile.pins.find(kTextPinName);
  if (pin == profile.pins.end()) throw std::runtime_error("card.json has no text_pin");
  const auto remaining = pin_state.find(kTextPinName);
  app.pins.emplace(kPinText, PinCounter(kTextPinName, pin->second.value, pin->second.max_tries,
                                        remaining == pin_state.end() ? pin->second.initial_tries : remaining->second));
  // Both EFs open with the text PIN (jpki.md §3 EF 0011).
  app.efs[kEfMyNumber] = ElementaryFile{make_my_number_ef(profile.my_number), kPinText, kMyNumberMarker};
  const Bytes basic_four = make_basic_four_tlv(profile.basic_four);
  app.efs[kEfBasicFour] =
      ElementaryFile{pad_with_filler(basic_four, ef_size(profile, "text.0002", basic_four.size())), kPinText, {}};
  return app;
}

}  // namespace kazasu::cardsim
