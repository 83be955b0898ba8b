// Builders for the card's applications from a card directory (card.json + DER/PEM files).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "card_model.hpp"
#include "profile.hpp"

namespace kazasu::cardsim {

// JPKI AP, jpki.md §2.1.
inline const Bytes kJpkiAid = {0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01};
// 券面事項入力補助AP (text AP), jpki.md §3.
inline const Bytes kTextAid = {0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08};

// JPKI AP file IDs, jpki.md §2.2.
inline constexpr std::uint16_t kEfSignCert = 0x0001;
inline constexpr std::uint16_t kEfSignCaCert = 0x0002;
inline constexpr std::uint16_t kEfTokenInfo = 0x0006;
inline constexpr std::uint16_t kEfCertAvailability = 0x0008;
inline constexpr std::uint16_t kEfAuthCert = 0x000A;
inline constexpr std::uint16_t kEfAuthCaCert = 0x000B;
inline constexpr std::uint16_t kKeyAuth = 0x0017;
inline constexpr std::uint16_t kPinAuth = 0x0018;
inline constexpr std::uint16_t kKeySign = 0x001A;
inline constexpr std::uint16_t kPinSign = 0x001B;

// Text AP file IDs, jpki.md §3.
inline constexpr std::uint16_t kEfMyNumber = 0x0001;
inline constexpr std::uint16_t kEfBasicFour = 0x0002;
inline constexpr std::uint16_t kPinText = 0x0011;

// The trace line that makes "was the My Number ever selected" a grep.
inline constexpr const char* kMyNumberMarker = "SELECTED text-ap EF 0001 (MY NUMBER)";

// Physical sizes used when a profile does not say otherwise.
inline constexpr std::size_t kTokenInfoSize = 160;  // CK_TOKEN_INFO, jpki.md §1

Bytes make_token_info(const std::string& label);
Bytes make_my_number_ef(const std::string& my_number);
Bytes make_basic_four_tlv(const BasicFour& basic_four);
Bytes make_free_area_tlv(const std::string& id);

Application make_jpki_ap(const std::filesystem::path& card_dir, const CardProfile& profile,
                         const std::map<std::string, int>& pin_state);
Application make_text_ap(const CardProfile& profile, const std::map<std::string, int>& pin_state);
Application make_free_area_ap(const CardProfile& profile);

// Everything together; pin_state from load_pin_state.
CardModel load_card_model(const std::filesystem::path& card_dir, const std::map<std::string, int>& pin_state);

}  // namespace kazasu::cardsim
