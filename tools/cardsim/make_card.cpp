#include <algorithm>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "applications.hpp"
#include "certgen.hpp"
#include "file_util.hpp"
#include "generator.hpp"
#include "tlv.hpp"

namespace kazasu::cardsim {

namespace {

namespace fs = std::filesystem;

constexpr std::time_t kDay = std::time_t{24} * 3600;
// Contact ATR OpenSC matches (jpki.md §1).
const Bytes kJpkiAtr = {0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14};
// PC/SC part 3 ATR a reader builds for a MIFARE Classic 1K badge (contactless storage card).
const Bytes kBadgeAtr = {0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00,
                         0x03, 0x06, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x6A};
// Proprietary ('F' category, ISO 7816-5) AID "F0 'KAZASU' 01" for the default free area.
const Bytes kDefaultFreeAreaAid = {0xF0, 0x4B, 0x41, 0x5A, 0x41, 0x53, 0x55, 0x01};
constexpr std::size_t kCertEfMinSize = 2048;  // EFs carry filler after the DER (jpki.md §7.9)

// Retry limits, jpki.md §2.2 (auth 3, sign 5) and §3 (text PIN: 3, as commonly reported).
constexpr int kAuthPinTries = 3;
constexpr int kSignPasswordTries = 5;
constexpr int kTextPinTries = 3;

// signature-cert SAN otherName OIDs for the basic four (jpki.md §5).
constexpr const char* kOidName = "1.2.392.200149.8.5.5.1";
constexpr const char* kOidSex = "1.2.392.200149.8.5.5.3";
constexpr const char* kOidBirth = "1.2.392.200149.8.5.5.4";
constexpr const char* kOidAddress = "1.2.392.200149.8.5.5.5";

class Rng {
 public:
  explicit Rng(std::optional<std::uint64_t> seed) : engine_(seed ? *seed : std::random_device{}()) {}
  std::string chars(std::size_t n, std::string_view alphabet) {
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(alphabet[pick(engine_)]);
    return out;
  }
  Bytes bytes(std::size_t n) {
    Bytes out(n);
    for (auto& b : out) b = static_cast<std::uint8_t>(engine_() & 0xFF);
    return out;
  }

 private:
  std::mt19937_64 engine_;
};

constexpr std::string_view kAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view kDigits = "0123456789";

Bytes positive_serial(Rng& rng) {
  Bytes serial = rng.bytes(8);
  serial[0] = static_cast<std::uint8_t>((serial[0] & 0x7F) | 0x01);  // positive, full length
  return serial;
}

// 23-character opaque CN with the 5-digit municipality code inside (jpki.md §5).
std::string auth_cn(Rng& rng, const std::string& municipality) {
  return rng.chars(6, kAlnum) + municipality + rng.chars(12, kAlnum);
}

struct Validity {
  std::time_t not_before;
  std::time_t not_after;
};

// Expiry is the fifth birthday after issue, at the end of that day in JST (jpki.md §5
// "Validity": the test card ran 2025-10-27 -> 2030-02-17, birthday 02-17).
std::time_t fifth_birthday_after(std::time_t issue, const std::string& birth) {
  const int month = std::stoi(birth.substr(4, 2));
  const int day = std::stoi(birth.substr(6, 2));
  std::tm tm{};
  gmtime_r(&issue, &tm);
  auto birthday_in = [&](int year) {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const int d = (month == 2 && day == 29 && !leap) ? 28 : day;
    return utc_time(year, month, d, 14, 59, 59);  // 23:59:59 JST
  };
  int year = tm.tm_year + 1900;
  if (birthday_in(year) <= issue) ++year;
  return birthday_in(year + 4);
}

Validity validity_for(const std::string& variant, const std::string& birth) {
  const std::time_t now = std::time(nullptr);
  std::time_t issue = now - 30 * kDay;
  if (variant == "expired") issue = now - kDay * 6 * 365;  // fifth birthday is >= a year ago
  if (variant == "not-yet-valid") issue = now + 30 * kDay;
  if (variant == "renewed") issue = now - kDay;
  return {issue, fifth_birthday_after(issue, birth)};
}

std::string require_digits(const std::string& value, std::size_t count, const char* what) {
  if (value.size() != count || value.find_first_not_of(kDigits) != std::string::npos) {
    throw std::invalid_argument(std::string(what) + " must be " + std::to_string(count) + " digits");
  }
  return value;
}

void write_cert(const fs::path& dir, const char* der_name, X509* cert) {
  write_file_atomic(dir / der_name, cert_to_der(cert));
  fs::path pem = dir / der_name;
  pem.replace_extension(".pem");
  write_cert_pem(pem, cert);
}

void make_badge(const MakeCardOptions& o, Rng& rng) {
  CardProfile profile;
  profile.variant = "badge";
  profile.atr = kBadgeAtr;
  profile.jpki = false;
  profile.uid = o.uid ? from_hex(*o.uid) : Bytes{0x04};
  if (!o.uid) append(*profile.uid, rng.bytes(6));  // 7-byte NXP-style UID
  save_profile(o.out, profile);
}

}  // namespace

std::string my_number_with_check_digit(const std::string& first_eleven) {
  require_digits(first_eleven, 11, "My Number prefix");
  int sum = 0;
  for (int n = 1; n <= 11; ++n) {  // n counts from the rightmost of the 11 digits
    const int p = first_eleven[static_cast<std::size_t>(11 - n)] - '0';
    const int q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const int remainder = sum % 11;
  const int check = remainder <= 1 ? 0 : 11 - remainder;
  return first_eleven + static_cast<char>('0' + check);
}

void make_card(const MakeCardOptions& o) {
  static const std::vector<std::string> kVariants = {"valid",      "expired", "not-yet-valid", "wrong-ca",
                                                     "locked-pin", "renewed", "badge"};
  if (std::find(kVariants.begin(), kVariants.end(), o.variant) == kVariants.end()) {
    throw std::invalid_argument("unknown --variant " + o.variant);
  }
  Rng rng(o.seed);
  fs::create_directories(o.out);
  fs::remove(o.out / kStateFile);  // a new card starts with fresh retry counters
  if (o.variant == "badge") return make_badge(o, rng);

  CardProfile profile;
  profile.variant = o.variant;
  profile.atr = kJpkiAtr;
  if (o.uid) profile.uid = from_hex(*o.uid);
  profile.municipality_code = require_digits(o.municipality_code, 5, "--municipality");
  profile.basic_four = {o.name, o.address, require_digits(o.birth, 8, "--birth"), o.sex};
  profile.my_number = o.my_number ? require_digits(*o.my_number, 12, "--my-number")
                                  : my_number_with_check_digit(rng.chars(11, kDigits));
  profile.pins[kAuthPinName] = {require_digits(o.pin, 4, "--pin"), kAuthPinTries, kAuthPinTries};
  profile.pins[kSignPasswordName] = {o.sign_password, kSignPasswordTries, kSignPasswordTries};
  profile.pins[kTextPinName] = {require_digits(o.text_pin, 4, "--text-pin"), kTextPinTries, kTextPinTries};
  if (o.free_area_id) {
    FreeAreaProfile area{kDefaultFreeAreaAid, 0x0001, *o.free_area_id};
    if (o.free_area_aid) area.aid = from_hex(*o.free_area_aid);
    if (o.free_area_ef) {
      const Bytes ef = from_hex(*o.free_area_ef);
      if (ef.size() != 2) throw std::invalid_argument("--free-area-ef must be 2 bytes of hex");
      area.ef = static_cast<std::uint16_t>((ef[0] << 8) | ef[1]);
    }
    profile.free_area = area;
  }
  if (o.variant == "renewed") {
    if (!o.from) throw std::invalid_argument("--variant renewed needs --from CARD_DIR");
    // Same person: the basic four, My Number, PINs, municipality and free area carry
    // over; keys, certificates, serials and the CN are new.
    const CardProfile old = load_profile(*o.from);
    profile.basic_four = old.basic_four;
    profile.my_number = old.my_number;
    profile.municipality_code = old.municipality_code;
    profile.free_area = old.free_area;
    profile.uid = old.uid;
    for (const auto& [name, pin] : old.pins) profile.pins[name] = {pin.value, pin.max_tries, pin.max_tries};
    profile.renewed_from_cn = old.auth_cn;
    profile.renewed_from_serial = old.auth_serial;
  }
  if (o.variant == "locked-pin") profile.pins[kAuthPinName].initial_tries = 0;

  // Issuers: the given hierarchy, or for wrong-ca a fresh one with identical DNs, so only
  // a signature check tells them apart (jpki.md §5 "pick the issuer by signature").
  CaPair auth_ca;
  CaPair sign_ca;
  if (o.variant == "wrong-ca") {
    const std::time_t now = std::time(nullptr);
    auth_ca = make_root(auth_ca_dn(), positive_serial(rng), now - 3650 * kDay, now + 3650 * kDay);
    sign_ca = make_root(sign_ca_dn(), positive_serial(rng), now - 3650 * kDay, now + 3650 * kDay);
  } else {
    auth_ca = {cert_from_pem_file(o.ca_dir / kCaAuthCertPem), private_key_from_pem_file(o.ca_dir / kCaAuthKeyPem)};
    sign_ca = {cert_from_pem_file(o.ca_dir / kCaSignCertPem), private_key_from_pem_file(o.ca_dir / kCaSignKeyPem)};
  }

  const Validity validity = validity_for(o.variant, profile.basic_four.birth);
  profile.auth_cn = auth_cn(rng, profile.municipality_code);
  const EvpPkeyPtr auth_key = generate_rsa_2048();
  const NameEntries auth_subject = {{"C", "JP"}, {"CN", profile.auth_cn}};
  CertRequest auth_request;
  auth_request.subject = &auth_subject;
  auth_request.subject_key = auth_key.get();
  auth_request.issuer_cert = auth_ca.cert.get();
  auth_request.issuer_key = auth_ca.key.get();
  auth_request.serial = positive_serial(rng);
  auth_request.not_before = validity.not_before;
  auth_request.not_after = validity.not_after;
  auth_request.key_usage = "critical,digitalSignature";
  const X509Ptr auth_cert = issue_cert(auth_request);

  // The signature cert names where the holder lives and carries the basic four (jpki.md §5).
  const EvpPkeyPtr sign_key = generate_rsa_2048();
  const NameEntries sign_subject = {{"C", "JP"}, {"L", "Test-shi"}, {"CN", rng.chars(23, kAlnum)}};
  CertRequest sign_request = auth_request;
  sign_request.subject = &sign_subject;
  sign_request.subject_key = sign_key.get();
  sign_request.issuer_cert = sign_ca.cert.get();
  sign_request.issuer_key = sign_ca.key.get();
  sign_request.serial = positive_serial(rng);
  sign_request.key_usage = "critical,digitalSignature,nonRepudiation";
  sign_request.other_names = {{kOidName, profile.basic_four.name},
                              {kOidSex, profile.basic_four.sex},
                              {kOidBirth, profile.basic_four.birth},
                              {kOidAddress, profile.basic_four.address}};
  const X509Ptr sign_cert = issue_cert(sign_request);

  profile.auth_serial = to_hex(auth_request.serial);
  profile.sign_serial = to_hex(sign_request.serial);
  profile.not_before = iso8601(validity.not_before);
  profile.not_after = iso8601(validity.not_after);

  write_cert(o.out, kAuthCertDer, auth_cert.get());
  write_cert(o.out, kSignCertDer, sign_cert.get());
  write_cert(o.out, kAuthCaCertDer, auth_ca.cert.get());
  write_cert(o.out, kSignCaCertDer, sign_ca.cert.get());
  write_private_key_pem(o.out / kAuthKeyPem, auth_key.get());
  write_private_key_pem(o.out / kSignKeyPem, sign_key.get());

  auto cert_ef = [](std::size_t der_size) { return std::max(kCertEfMinSize, round_up(der_size + 1, 256)); };
  profile.ef_sizes["jpki.000A"] = cert_ef(cert_to_der(auth_cert.get()).size());
  profile.ef_sizes["jpki.0001"] = cert_ef(cert_to_der(sign_cert.get()).size());
  profile.ef_sizes["jpki.000B"] = cert_ef(cert_to_der(auth_ca.cert.get()).size());
  profile.ef_sizes["jpki.0002"] = cert_ef(cert_to_der(sign_ca.cert.get()).size());
  profile.ef_sizes["text.0002"] = round_up(make_basic_four_tlv(profile.basic_four).size() + 1, 128);
  save_profile(o.out, profile);
}

}  // namespace kazasu::cardsim
