#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "certgen.hpp"
#include "file_util.hpp"
#include "generator.hpp"

namespace kazasu::cardsim {

namespace {

// Root serials of the real generations 1-3 (jpki.md §5), reused so a test hierarchy of
// generation N looks like that generation; other generations get N itself.
Bytes root_serial(bool auth, int generation) {
  switch (generation) {
    case 1:
      return {0x01};
    case 2:
      return auth ? Bytes{0x01, 0x33, 0xC3, 0x49} : Bytes{0x01, 0x32, 0xC4, 0xAB};
    case 3:
      return auth ? Bytes{0x06, 0xD1, 0x80, 0x06} : Bytes{0x06, 0x7C, 0x6A, 0x21};
    default:
      return {static_cast<std::uint8_t>(generation & 0x7F)};
  }
}

}  // namespace

void make_ca(const std::filesystem::path& out, int generation) {
  if (generation < 1 || generation > 127) throw std::invalid_argument("--generation must be 1..127");
  std::filesystem::create_directories(out);
  // Ten years either side of now, wider than any leaf the variants produce, so a leaf is
  // rejected for its own dates and never because the root expired.
  const std::time_t now = std::time(nullptr);
  const std::time_t ten_years = 10L * 365 * 24 * 3600;
  const CaPair auth = make_root(auth_ca_dn(), root_serial(true, generation), now - ten_years, now + ten_years);
  const CaPair sign = make_root(sign_ca_dn(), root_serial(false, generation), now - ten_years, now + ten_years);
  write_cert_pem(out / kCaAuthCertPem, auth.cert.get());
  write_private_key_pem(out / kCaAuthKeyPem, auth.key.get());
  write_cert_pem(out / kCaSignCertPem, sign.cert.get());
  write_private_key_pem(out / kCaSignKeyPem, sign.key.get());
  write_file_atomic(out / "auth_ca_cert.der", cert_to_der(auth.cert.get()));
  write_file_atomic(out / "sign_ca_cert.der", cert_to_der(sign.cert.get()));
  const nlohmann::json meta = {{"format", "kazasu-cardsim-ca/1"}, {"generation", generation}};
  write_text_file_atomic(out / "ca.json", meta.dump(2) + "\n");
}

}  // namespace kazasu::cardsim
