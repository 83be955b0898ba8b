// `jpki`: the My Number Card's JPKI user-authentication certificate, at the
// reader's level (design.md "Cards"):
//   fast        SELECT AP + one READ BINARY (SFI): serial and issuer, 2 APDUs
//   verified    the whole certificate, chain and validity checked
//   possession  verified + PIN + a signature over a fresh challenge
// The identity: issuer = issuer DN text (ossl::name_text), subject = serial
// as upper-case hex. Both are the same at every level, so tokens are too.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "identify/identifier.hpp"
#include "identify/pin_source.hpp"
#include "identify/trust_store.hpp"

namespace kazasu {

enum class JpkiLevel { fast, verified, possession };

struct JpkiOptions {
  JpkiLevel level = JpkiLevel::fast;
  std::shared_ptr<const TrustStore> trust;  // required above fast
  PinSource* pins = nullptr;                // required for possession
  std::string reader;
  std::chrono::milliseconds pin_timeout{0};
};

class JpkiIdentifier : public Identifier {
 public:
  explicit JpkiIdentifier(JpkiOptions options);
  [[nodiscard]] const char* kind() const override { return "jpki"; }
  Result<CardIdentity> identify(CardChannel& channel) override;
  [[nodiscard]] bool unlocks_keys() const override { return options_.level == JpkiLevel::possession; }

 private:
  Result<CardIdentity> identify_fast(CardChannel& channel);
  Result<CardIdentity> identify_verified(CardChannel& channel);

  JpkiOptions options_;
};

const char* to_string(JpkiLevel level);

}  // namespace kazasu
