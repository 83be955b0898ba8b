// Fuzz target: EF 0002 of the card-face input support AP, the basic four
// (parse_basic_four) and the BER-TLV header rule it uses (ber_element_size).
#include <cstdint>

#include "identify/basic_four.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kazasu;
  {
    BasicFour four;
    auto r = parse_basic_four(data, size, four);
    if (!r && r.error().reason != "read_failed") __builtin_trap();
  }
  auto n = ber_element_size(data, size);
  if (n && n.value() != 0 && n.value() < 2) __builtin_trap();  // a tag and a length byte at least
  return 0;
}
