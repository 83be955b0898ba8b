#include "test_cards.hpp"

#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>

#include "applications.hpp"
#include "generator.hpp"
#include "profile.hpp"

namespace kazasu::cardsim::testing {

namespace fs = std::filesystem;

namespace {

// Removed when the process exits normally; /tmp cleaning covers crashes.
struct TempRoot {
  fs::path path;
  TempRoot() {
    std::string pattern = (fs::temp_directory_path() / "kazasu-cardsim-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~TempRoot() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

TempRoot& temp_root() {
  static TempRoot root;
  return root;
}

}  // namespace

const fs::path& test_ca_dir() {
  static const fs::path dir = [] {
    const fs::path out = temp_root().path / "ca";
    make_ca(out, 3);
    return out;
  }();
  return dir;
}

fs::path make_test_card(const std::string& variant, const std::vector<std::string>& extra) {
  static int counter = 0;
  MakeCardOptions o;
  o.ca_dir = test_ca_dir();
  o.out = temp_root().path / ("card-" + std::to_string(++counter) + "-" + variant);
  o.variant = variant;
  for (std::size_t i = 0; i + 1 < extra.size(); i += 2) {
    const std::string& key = extra[i];
    const std::string& value = extra[i + 1];
    if (key == "--from")
      o.from = value;
    else if (key == "--uid")
      o.uid = value;
    else if (key == "--free-area-id")
      o.free_area_id = value;
    else if (key == "--birth")
      o.birth = value;
    else if (key == "--my-number")
      o.my_number = value;
    else if (key == "--address")
      o.address = value;
    else if (key == "--name")
      o.name = value;
    else if (key == "--pin")
      o.pin = value;
    else if (key == "--sign-password")
      o.sign_password = value;
    else if (key == "--text-pin")
      o.text_pin = value;
    else if (key == "--sex")
      o.sex = value;
    else
      throw std::invalid_argument("test helper does not know " + key);
  }
  make_card(o);
  return o.out;
}

const fs::path& shared_valid_card() {
  static const fs::path dir = make_test_card("valid", {"--free-area-id", "LIB-0042", "--my-number", "123456789018"});
  return dir;
}

Card load_card(const fs::path& dir, CardOptions options) {
  const CardProfile profile = load_profile(dir);
  std::map<std::string, int> counters;
  for (const auto& [name, pin] : profile.pins) counters[name] = pin.initial_tries;
  return Card(load_card_model(dir, counters), options);
}

namespace {

// Header + Lc + data, built in one sized buffer: g++ 12 at -O3 warns (-Warray-bounds, a
// false positive) about inserting into a vector made from a short initializer list.
Bytes case3(std::uint8_t cla, std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data) {
  Bytes apdu(5 + data.size());
  apdu[0] = cla;
  apdu[1] = ins;
  apdu[2] = p1;
  apdu[3] = p2;
  apdu[4] = static_cast<std::uint8_t>(data.size());
  std::copy(data.begin(), data.end(), apdu.begin() + 5);
  return apdu;
}

}  // namespace

Bytes select_aid(const Bytes& aid) {
  return case3(0x00, 0xA4, 0x04, 0x0C, aid);
}

Bytes select_ef(std::uint16_t fid) {
  return {0x00, 0xA4, 0x02, 0x0C, 0x02, static_cast<std::uint8_t>(fid >> 8), static_cast<std::uint8_t>(fid)};
}

Bytes read_binary(std::size_t offset, std::size_t le) {
  return {0x00, 0xB0, static_cast<std::uint8_t>(offset >> 8), static_cast<std::uint8_t>(offset & 0xFF),
          static_cast<std::uint8_t>(le & 0xFF)};
}

Bytes verify(const std::string& pin) {
  return case3(0x00, 0x20, 0x00, 0x80, to_bytes(pin));
}

Bytes compute_signature_apdu(const Bytes& data, std::uint8_t p2) {
  Bytes apdu = case3(0x80, 0x2A, 0x00, p2, data);
  apdu.push_back(0x00);  // Le 00: 256 bytes of RSA-2048 signature
  return apdu;
}

Bytes sha256_digest_info(const Bytes& message) {
  // DigestInfo prefix for SHA-256, jpki.md §2.5.
  Bytes info = from_hex("3031300D060960864801650304020105000420");
  Bytes digest(SHA256_DIGEST_LENGTH);
  SHA256(message.data(), message.size(), digest.data());
  append(info, digest);
  return info;
}

}  // namespace kazasu::cardsim::testing
