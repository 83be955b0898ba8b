// Fuzz target: the DER walker over the first bytes of the card's JPKI
// certificate (der::parse_certificate_prefix), then the issuer Name through
// OpenSSL (ossl::name_text). What `fast` identification derives its token
// from is exercised through the identifier by the apdu_response target.
#include <cstdint>

#include "identify/der.hpp"
#include "identify/ossl.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kazasu;
  const der::PrefixResult r = der::parse_certificate_prefix(data, size);
  if (r.status == der::Status::ok) {
    if (r.prefix.issuer_der.size() > r.prefix.certificate_size) __builtin_trap();
    (void)ossl::name_text(r.prefix.issuer_der);
  } else if (r.status == der::Status::truncated && r.need != 0 && r.need <= size) {
    __builtin_trap();  // "read more" must ask for more than it had
  }
  (void)der::to_string(r.status);
  // Every header the walker could meet, at every offset.
  for (std::size_t pos = 0; pos < size && pos < 64; ++pos) {
    der::Header h;
    if (der::read_header(data, size, pos, h) == der::Status::ok && h.header_size == 0) __builtin_trap();
  }
  return 0;
}
