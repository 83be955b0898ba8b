// Card links shared by every branch of the city (plugin ABI 1.3 shared state):
// a card linked at one branch is recognised at all of them, and an unlink or a
// relink is seen everywhere. Two records per link, scoped to this plugin:
//   patron:{patron}  {"token", "linked_ms", "first_linked_ms", "relinks"}  (the link itself)
//   token:{token}    {"patron"}                                           (the index a tap reads)
// A tap trusts token:{T} only when patron:{P} still names T, so an index left
// behind by an interrupted unlink or relink never shows the wrong patron.
//
// This station's LinkStore keeps a copy: taps while the engine is away use it,
// and a link made while it is away is kept here unsynced and pushed by sync()
// when the engine is back. If the card was linked to another patron meanwhile,
// the engine's link wins and the conflict is reported to staff at both
// counters (an entry under `conflicts` that every branch shows once).
#pragma once

#include <kazasu/plugin.hpp>
#include <optional>
#include <string>
#include <vector>

#include "link_store.hpp"

namespace kazasu::library {

class SharedLinks {
 public:
  SharedLinks(kazasu::Host host, LinkStore& copy) : host_(host), copy_(copy) {}

  /** The link of `token`: the engine's, or this station's copy while the engine is away. */
  std::optional<Link> find_by_token(const std::string& token);

  struct LinkDone {
    LinkResult result;
    bool pending = false;  // made here only; reaches the other branches when the engine is back
  };
  LinkDone link(const std::string& patron, const std::string& token, int64_t now_ms, const std::string& tap_id);

  enum class Unlinked { done, not_linked, unavailable };
  Unlinked unlink(const std::string& patron);

  struct Conflict {
    std::string id;
    std::string patron;         // whose link made here lost
    std::string linked_patron;  // whose link the engine has
    std::string station;        // where the losing link was made
  };
  /**
   * Pushes links made while the engine was away, then reads the city's
   * conflict list; returns the conflicts this station has not shown yet.
   * False in `reached` when the engine is still away.
   */
  std::vector<Conflict> sync(bool& reached);

 private:
  enum class Found { yes, no, unavailable };
  struct Lookup {
    Found found = Found::unavailable;
    Link link;
  };
  Lookup lookup(const std::string& token);
  // The link on the engine; nullopt when it could not be reached.
  std::optional<LinkDone> link_on_engine(const std::string& patron, const std::string& token, const Link& values);

  kazasu::Host host_;
  LinkStore& copy_;
};

}  // namespace kazasu::library
