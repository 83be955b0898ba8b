#include "apdu.hpp"

namespace kazasu::cardsim {

namespace {

ParseResult fail(std::string why) {
  return ParseResult{std::nullopt, std::move(why)};
}

}  // namespace

ParseResult parse_apdu(const Bytes& raw) {
  if (raw.size() < 4) return fail("shorter than a header");
  CommandApdu apdu;
  apdu.cla = raw[0];
  apdu.ins = raw[1];
  apdu.p1 = raw[2];
  apdu.p2 = raw[3];
  const std::size_t body = raw.size() - 4;
  const std::uint8_t* b = raw.data() + 4;

  if (body == 0) {
    apdu.apdu_case = ApduCase::kCase1;
    return ParseResult{apdu, {}};
  }
  if (body == 1) {  // case 2 short: Le only
    apdu.apdu_case = ApduCase::kCase2;
    apdu.le = b[0] == 0 ? 256u : b[0];
    return ParseResult{apdu, {}};
  }
  if (b[0] != 0) {  // short Lc
    const std::size_t lc = b[0];
    if (body == 1 + lc) {
      apdu.apdu_case = ApduCase::kCase3;
    } else if (body == 2 + lc) {
      apdu.apdu_case = ApduCase::kCase4;
      apdu.le = b[1 + lc] == 0 ? 256u : b[1 + lc];
    } else {
      return fail("short Lc does not match the body length");
    }
    apdu.data.assign(b + 1, b + 1 + lc);
    return ParseResult{apdu, {}};
  }
  // b[0] == 0 with more bytes: extended length.
  apdu.extended = true;
  if (body == 3) {  // case 2 extended: 00 Le1 Le2
    apdu.apdu_case = ApduCase::kCase2;
    const std::uint32_t le = (std::uint32_t{b[1]} << 8) | b[2];
    apdu.le = le == 0 ? 65536u : le;
    return ParseResult{apdu, {}};
  }
  if (body < 3) return fail("truncated extended length");
  const std::size_t lc = (std::size_t{b[1]} << 8) | b[2];
  if (lc == 0) return fail("extended Lc of zero");
  if (body == 3 + lc) {
    apdu.apdu_case = ApduCase::kCase3;
  } else if (body == 5 + lc) {
    apdu.apdu_case = ApduCase::kCase4;
    const std::uint32_t le = (std::uint32_t{b[3 + lc]} << 8) | b[4 + lc];
    apdu.le = le == 0 ? 65536u : le;
  } else {
    return fail("extended Lc does not match the body length");
  }
  apdu.data.assign(b + 3, b + 3 + lc);
  return ParseResult{apdu, {}};
}

Bytes ResponseApdu::serialize() const {
  Bytes out = data;
  out.push_back(static_cast<std::uint8_t>(sw >> 8));
  out.push_back(static_cast<std::uint8_t>(sw & 0xFF));
  return out;
}

}  // namespace kazasu::cardsim
