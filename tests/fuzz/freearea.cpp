// Fuzz target: the free-area EF a municipality writes (find_free_area_id):
// BER-TLV with the ID under the configured tag, at the top level or one
// level inside a constructed element, then filler.
//
// Input: byte 0 says whether the tag is one byte (bit 0 clear) or two; the
// tag bytes follow, then the EF's content.
#include <cstdint>

#include "fuzz_support.hpp"
#include "identify/freearea_identifier.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kazasu;
  fuzz::Input in(data, size);
  const bool two = (in.byte() & 1) != 0;
  apdu::Bytes tag{in.byte()};
  if (two) tag.push_back(in.byte());
  const std::string_view rest = in.rest();
  const apdu::Bytes ef(rest.begin(), rest.end());
  apdu::Bytes value;
  if (find_free_area_id(ef, tag, value) && value.size() > ef.size()) __builtin_trap();
  return 0;
}
