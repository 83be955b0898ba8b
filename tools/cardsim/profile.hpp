// card.json (everything about a card except keys and certificates) and state.json
// (retry counters that survive restarts). Format described in docs/cardsim.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "bytes.hpp"

namespace kazasu::cardsim {

inline constexpr const char* kProfileFile = "card.json";
inline constexpr const char* kStateFile = "state.json";
inline constexpr const char* kProfileFormat = "kazasu-cardsim-card/1";

// File names inside a card directory.
inline constexpr const char* kAuthCertDer = "auth_cert.der";       // EF 000A
inline constexpr const char* kAuthKeyPem = "auth_key.pem";         // key EF 0017
inline constexpr const char* kSignCertDer = "sign_cert.der";       // EF 0001
inline constexpr const char* kSignKeyPem = "sign_key.pem";         // key EF 001A
inline constexpr const char* kAuthCaCertDer = "auth_ca_cert.der";  // EF 000B (card's copy)
inline constexpr const char* kSignCaCertDer = "sign_ca_cert.der";  // EF 0002 (card's copy)

// state.json / pins keys.
inline constexpr const char* kAuthPinName = "auth_pin";
inline constexpr const char* kSignPasswordName = "sign_password";
inline constexpr const char* kTextPinName = "text_pin";

struct PinProfile {
  std::string value;
  int max_tries = 3;
  int initial_tries = 3;
};

struct BasicFour {
  std::string name;     // UTF-8, family and given name separated by U+3000 (jpki.md §3.1)
  std::string address;  // UTF-8
  std::string birth;    // YYYYMMDD
  std::string sex;      // ISO 5218 digit
};

struct FreeAreaProfile {
  Bytes aid;
  std::uint16_t ef = 0x0001;
  std::string id;
};

struct CardProfile {
  std::string variant = "valid";
  Bytes atr;
  std::optional<Bytes> uid;
  bool jpki = true;                        // false for badge profiles: no JPKI AP and no text AP
  std::map<std::string, PinProfile> pins;  // keyed by kAuthPinName etc.
  BasicFour basic_four;
  std::string my_number;
  std::optional<FreeAreaProfile> free_area;
  std::string token_label = "JPKIAPICCTOKEN2";
  std::string municipality_code;
  std::string auth_cn;
  std::string auth_serial;  // hex, informational
  std::string sign_serial;
  std::string not_before;  // ISO 8601 UTC, informational
  std::string not_after;
  std::map<std::string, std::size_t> ef_sizes;  // "jpki.000A" -> physical EF size
  std::optional<std::string> renewed_from_cn;
  std::optional<std::string> renewed_from_serial;
};

CardProfile load_profile(const std::filesystem::path& card_dir);
void save_profile(const std::filesystem::path& card_dir, const CardProfile& profile);

// Retry counters as last persisted; entries missing from state.json come from the profile.
std::map<std::string, int> load_pin_state(const std::filesystem::path& card_dir, const CardProfile& profile);
void save_pin_state(const std::filesystem::path& card_dir, const std::map<std::string, int>& state);

// Size of the EF named key, at least content_size.
std::size_t ef_size(const CardProfile& profile, const std::string& key, std::size_t content_size);

}  // namespace kazasu::cardsim
