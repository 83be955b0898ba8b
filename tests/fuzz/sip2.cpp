// Fuzz target: a SIP2 response from the library's ILS (sip2::parse, then
// patron_info_from on a 24 or 64), decoded as the plugin decodes it: as
// UTF-8 as-is or from Shift_JIS (CP932) through iconv (Charset::from_wire).
//
// Input: byte 0 bit 0 picks CP932; the rest is the response as read from
// the socket.
#include <cstdint>
#include <string>

#include "charset.hpp"
#include "fuzz_support.hpp"
#include "sip2_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kazasu::library;
  static const Charset cp932("CP932");
  static const sip2::Decode identity = [](std::string_view b) { return std::string(b); };
  static const sip2::Decode from_cp932 = [](std::string_view b) { return cp932.from_wire(b); };

  kazasu::fuzz::Input in(data, size);
  const bool sjis = (in.byte() & 1) != 0;
  const std::string_view wire = in.rest();
  sip2::Response r;
  if (sip2::parse(wire, sjis ? from_cp932 : identity, r) != sip2::ParseError::none) return 0;
  (void)sip2::fixed_length_of(r.code);
  (void)r.field("AA");
  (void)r.all("AF");
  if (auto info = sip2::patron_info_from(r)) {
    if (info->status_mask.size() > 14) __builtin_trap();
  }
  return 0;
}
