#include "identify/identifier_chain.hpp"

#include <stdexcept>

#include "identify/freearea_identifier.hpp"
#include "identify/jpki_identifier.hpp"
#include "identify/uid_identifier.hpp"

namespace kazasu {

IdentifierChain::IdentifierChain(std::vector<std::unique_ptr<Identifier>> identifiers)
    : identifiers_(std::move(identifiers)) {}

Result<CardIdentity> IdentifierChain::identify(CardChannel& channel) {
  std::string kinds;
  for (auto& id : identifiers_) {
    auto r = id->identify(channel);
    if (r || r.error().reason != kNotThisCard) return r;
    kinds += kinds.empty() ? id->kind() : std::string(", ") + id->kind();
  }
  return Error{"card_not_accepted", "the card is none of the kinds this reader accepts (" + kinds + ")"};
}

bool IdentifierChain::unlocks_keys() const {
  for (const auto& id : identifiers_) {
    if (id->unlocks_keys()) return true;
  }
  return false;
}

IdentifierChain make_identifier_chain(const ReaderConfig& reader, const IdentifyConfig& identify,
                                      const std::shared_ptr<const TrustStore>& trust, PinSource* pins) {
  std::vector<std::unique_ptr<Identifier>> ids;
  for (const auto& kind : reader.accept) {
    if (kind == "jpki") {
      JpkiOptions o;
      o.level = reader.level == "possession" ? JpkiLevel::possession
                : reader.level == "verified" ? JpkiLevel::verified
                                             : JpkiLevel::fast;
      o.trust = trust;
      o.pins = pins;
      o.reader = reader.name;
      o.pin_timeout = std::chrono::milliseconds(identify.pin_timeout_ms);
      ids.push_back(std::make_unique<JpkiIdentifier>(std::move(o)));
    } else if (kind == "freearea") {
      if (identify.freearea_aid.empty())
        throw std::invalid_argument("reader " + reader.name + " accepts freearea but [identify.freearea] has no aid");
      ids.push_back(std::make_unique<FreeAreaIdentifier>(
          FreeAreaOptions{identify.freearea_aid, identify.freearea_ef, identify.freearea_tag}));
    } else if (kind == "uid") {
      ids.push_back(std::make_unique<UidIdentifier>());
    }
  }
  return IdentifierChain(std::move(ids));
}

}  // namespace kazasu
