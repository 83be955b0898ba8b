// The trust anchors `verified` and `possession` check a card's certificate
// against: the published J-LIS roots in production (jpki.md §5), the test CA
// of kazasu-cardsim in tests. Never the CA certificate on the card itself
// (EF 000B): it comes from the same card it would vouch for (jpki.md §5 MNC).
#pragma once

#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "core/result.hpp"
#include "identify/ossl.hpp"

namespace kazasu {

class TrustStore {
 public:
  /** Loads every certificate of every PEM file; throws std::runtime_error naming the bad file. */
  static std::shared_ptr<const TrustStore> load(const std::vector<std::filesystem::path>& pem_files);

  /**
   * Checks chain and validity period at `now`. Error reasons: `expired`,
   * `not_yet_valid`, `untrusted`.
   */
  [[nodiscard]] std::optional<Error> verify(X509* certificate, std::time_t now) const;

 private:
  ossl::X509StorePtr store_;
};

}  // namespace kazasu
