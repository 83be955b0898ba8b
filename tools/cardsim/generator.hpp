// make-ca and make-card: test hierarchies and card directories.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace kazasu::cardsim {

// Files written by make-ca (PEM trust anchors + keys; DER copies of the certificates).
inline constexpr const char* kCaAuthCertPem = "auth_ca_cert.pem";
inline constexpr const char* kCaAuthKeyPem = "auth_ca_key.pem";
inline constexpr const char* kCaSignCertPem = "sign_ca_cert.pem";
inline constexpr const char* kCaSignKeyPem = "sign_ca_key.pem";

void make_ca(const std::filesystem::path& out, int generation);

struct MakeCardOptions {
  std::filesystem::path ca_dir;
  std::filesystem::path out;
  std::string variant = "valid";              // valid expired not-yet-valid wrong-ca locked-pin renewed badge
  std::optional<std::filesystem::path> from;  // renewed: the card being replaced
  std::string pin = "1234";
  std::string sign_password = "ABC123";
  std::string text_pin = "1234";
  std::string name = "試験\u3000太郎";
  std::string address = "東京都テスト市試験町一丁目２番３号";
  std::string birth = "19800217";
  std::string sex = "1";
  std::optional<std::string> my_number;
  std::string municipality_code = "13221";
  std::optional<std::string> free_area_id;
  std::optional<std::string> free_area_aid;
  std::optional<std::string> free_area_ef;
  std::optional<std::string> uid;
  std::optional<std::uint64_t> seed;  // fixes IDs, serials and the My Number; not the keys
};

void make_card(const MakeCardOptions& options);

// 12-digit My Number with its check digit (the public formula in the 番号法 ordinance).
std::string my_number_with_check_digit(const std::string& first_eleven);

}  // namespace kazasu::cardsim
