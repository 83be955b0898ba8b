// Card directories generated once per test process (RSA key generation is the slow part).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "bytes.hpp"
#include "card.hpp"

namespace kazasu::cardsim::testing {

// A make-ca output shared by every card of this process.
const std::filesystem::path& test_ca_dir();

// A fresh card directory (make-card with these options) under this process's temp root.
std::filesystem::path make_test_card(const std::string& variant, const std::vector<std::string>& extra = {});

// A cached "valid" card with a free area; do not mutate its state.json.
const std::filesystem::path& shared_valid_card();

// A new Card over a card directory with the counters from its card.json.
Card load_card(const std::filesystem::path& dir, CardOptions options = {});

// APDU helpers.
Bytes select_aid(const Bytes& aid);
Bytes select_ef(std::uint16_t fid);
Bytes read_binary(std::size_t offset, std::size_t le);
Bytes verify(const std::string& pin);  // on the current PIN EF
// 80 2A 00 P2 Lc data 00: COMPUTE DIGITAL SIGNATURE (jpki.md §2.5); P2 80 = current key EF.
Bytes compute_signature_apdu(const Bytes& data, std::uint8_t p2 = 0x80);
Bytes sha256_digest_info(const Bytes& message);

}  // namespace kazasu::cardsim::testing
