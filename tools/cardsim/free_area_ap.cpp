// An optional municipality "free area" AP holding the holder's local ID (e.g. a library
// card number). Layout is ours (docs/cardsim.md "Free-area AP"): 70 LL { 80 LL <ID> }.
#include "applications.hpp"
#include "tlv.hpp"

namespace kazasu::cardsim {

namespace {
const Bytes kTagTemplate = {0x70};  // ISO 7816-4 interindustry template
const Bytes kTagLocalId = {0x80};   // context-specific primitive 0: the ID as UTF-8
}  // namespace

Bytes make_free_area_tlv(const std::string& id) {
  return tlv(kTagTemplate, tlv(kTagLocalId, to_bytes(id)));
}

Application make_free_area_ap(const CardProfile& profile) {
  Application app;
  app.name = "free-area";
  app.aid = profile.free_area->aid;
  const Bytes content = make_free_area_tlv(profile.free_area->id);
  char key[24];
  std::snprintf(key, sizeof key, "free-area.%04X", profile.free_area->ef);
  // Readable without a PIN: the municipality ID is not secret on its own.
  app.efs[profile.free_area->ef] =
      ElementaryFile{pad_with_filler(content, ef_size(profile, key, round_up(content.size(), 32))), std::nullopt, {}};
  return app;
}

}  // namespace kazasu::cardsim
