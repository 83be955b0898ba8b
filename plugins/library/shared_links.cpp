#include "shared_links.hpp"

#include <nlohmann/json.hpp>

namespace kazasu::library {
namespace {

using nlohmann::json;

std::string patron_key(const std::string& patron) {
  return "patron:" + patron;
}
std::string token_key(const std::string& token) {
  return "token:" + token;
}

json link_value(const Link& l, const std::string& token) {
  return {{"token", token}, {"linked_ms", l.linked_ms}, {"first_linked_ms", l.first_linked_ms}, {"relinks", l.relinks}};
}

std::optional<Link> link_of(const std::string& patron, const std::string& value, std::string& token) {
  const json j = json::parse(value, nullptr, false);
  if (!j.is_object() || !j.contains("token") || !j["token"].is_string()) return std::nullopt;
  token = j["token"].get<std::string>();
  return Link{patron, j.value("linked_ms", int64_t{0}), j.value("first_linked_ms", int64_t{0}),
              j.value("relinks", int64_t{0})};
}

bool away(kazasu_shared_status s) {
  // An engine that is away, or a kazasud without shared state: this station's copy is all there is.
  return s == KAZASU_SHARED_UNAVAILABLE || s == KAZASU_SHARED_NOT_ALLOWED;
}

}  // namespace

SharedLinks::Lookup SharedLinks::lookup(const std::string& token) {
  const auto index = host_.get(token_key(token));
  if (away(index.status)) return {Found::unavailable, {}};
  if (index.status != KAZASU_SHARED_OK) return {Found::no, {}};
  const json j = json::parse(index.record.value, nullptr, false);
  if (!j.is_object() || !j.contains("patron") || !j["patron"].is_string()) return {Found::no, {}};
  const std::string patron = j["patron"].get<std::string>();
  const auto link = host_.get(patron_key(patron));
  if (away(link.status)) return {Found::unavailable, {}};
  std::string linked_token;
  if (link.status == KAZASU_SHARED_OK) {
    if (auto l = link_of(patron, link.record.value, linked_token); l && linked_token == token) return {Found::yes, *l};
  }
  return {Found::no, {}};  // a stale index: the patron has another card now, or none
}

std::optional<Link> SharedLinks::find_by_token(const std::string& token) {
  const Lookup l = lookup(token);
  if (l.found == Found::yes) {
    // The tap path writes only when the engine's link differs from this station's copy.
    const auto local = copy_.find_by_token(token);
    if (!local || local->patron != l.link.patron || local->linked_ms != l.link.linked_ms ||
        local->relinks != l.link.relinks || !copy_.synced(local->patron)) {
      copy_.remember(l.link, token);
    }
    return l.link;
  }
  if (l.found == Found::no) {
    copy_.forget_token(token);
    // A link made here while the engine was away is still this station's to honour.
    if (auto local = copy_.find_by_token(token); local && !copy_.synced(local->patron)) return local;
    return std::nullopt;
  }
  return copy_.find_by_token(token);
}

std::optional<SharedLinks::LinkDone> SharedLinks::link_on_engine(const std::string& patron, const std::string& token,
                                                                 const Link& values) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const Lookup owner = lookup(token);
    if (owner.found == Found::unavailable) return std::nullopt;
    if (owner.found == Found::yes) {
      if (owner.link.patron == patron) return LinkDone{{LinkOutcome::unchanged, {}}, false};
      return LinkDone{{LinkOutcome::already_linked, owner.link.patron}, false};
    }
    const auto current = host_.get(patron_key(patron));
    if (away(current.status)) return std::nullopt;
    std::string old_token;
    std::optional<Link> old;
    if (current.status == KAZASU_SHARED_OK) old = link_of(patron, current.record.value, old_token);
    Link next = values;
    if (old) {
      next.first_linked_ms = old->first_linked_ms;
      next.relinks = old->relinks + 1;
    }
    const int64_t expected = current.status == KAZASU_SHARED_OK ? current.record.version : 0;
    const auto put = host_.put(patron_key(patron), link_value(next, token).dump(), expected);
    if (away(put.status)) return std::nullopt;
    if (put.status == KAZASU_SHARED_CONFLICT || put.status == KAZASU_SHARED_NOT_FOUND) continue;  // raced: again
    if (put.status != KAZASU_SHARED_OK) return std::nullopt;
    // The index last: until it is written a tap elsewhere sees no link, never a wrong one.
    if (away(host_.put(token_key(token), json{{"patron", patron}}.dump(), -1).status)) return std::nullopt;
    if (old && old_token != token) (void)host_.put(token_key(old_token), std::nullopt, -1);
    copy_.remember(next, token);
    return LinkDone{{old ? LinkOutcome::replaced : LinkOutcome::linked, {}}, false};
  }
  return std::nullopt;
}

SharedLinks::LinkDone SharedLinks::link(const std::string& patron, const std::string& token, int64_t now_ms,
                                        const std::string& tap_id) {
  if (auto done = link_on_engine(patron, token, Link{patron, now_ms, now_ms, 0})) return *done;
  // The engine is away: link here, as a single station would, and sync later.
  const LinkResult r = copy_.link(patron, token, now_ms, tap_id);
  const bool changed = r.outcome == LinkOutcome::linked || r.outcome == LinkOutcome::replaced;
  if (changed) copy_.set_synced(patron, false);
  return LinkDone{r, changed || !copy_.synced(patron)};
}

SharedLinks::Unlinked SharedLinks::unlink(const std::string& patron) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto current = host_.get(patron_key(patron));
    if (away(current.status)) return Unlinked::unavailable;  // an unlink must be seen everywhere, or not made
    if (current.status != KAZASU_SHARED_OK) {
      // Perhaps linked here only, while the engine was away.
      if (copy_.find_by_patron(patron) && !copy_.synced(patron)) {
        copy_.unlink(patron);
        return Unlinked::done;
      }
      copy_.unlink(patron);
      return Unlinked::not_linked;
    }
    std::string token;
    link_of(patron, current.record.value, token);
    const auto del = host_.put(patron_key(patron), std::nullopt, current.record.version);
    if (away(del.status)) return Unlinked::unavailable;
    if (del.status != KAZASU_SHARED_OK) continue;  // changed meanwhile: read again
    if (!token.empty()) (void)host_.put(token_key(token), std::nullopt, -1);
    copy_.unlink(patron);
    return Unlinked::done;
  }
  return Unlinked::unavailable;
}

std::vector<SharedLinks::Conflict> SharedLinks::sync(bool& reached) {
  reached = true;
  for (const auto& p : copy_.pending()) {
    const auto done = link_on_engine(p.link.patron, p.token, p.link);
    if (!done) {
      reached = false;
      break;
    }
    if (done->result.outcome == LinkOutcome::already_linked) {
      // The engine's link wins; every branch learns of this one.
      const std::string id = "conflict:" + p.token + ":" + p.link.patron;
      const json body{
          {"patron", p.link.patron}, {"linked_patron", done->result.linked_patron}, {"linked_ms", p.link.linked_ms}};
      (void)host_.append("conflicts", id, body.dump(), 0);
      copy_.unlink(p.link.patron);
    } else {
      copy_.set_synced(p.link.patron, true);
    }
  }
  std::vector<Conflict> out;
  if (!reached) return out;
  const auto list = host_.entries("conflicts", 100);
  if (list.status != KAZASU_SHARED_OK) {
    reached = list.status != KAZASU_SHARED_UNAVAILABLE;
    return out;
  }
  const json entries = json::parse(list.entries_json, nullptr, false);
  if (!entries.is_array()) return out;
  for (const auto& e : entries) {
    const std::string id = e.value("id", "");
    if (id.empty() || !copy_.first_sight(id)) continue;
    const json body = json::parse(e.value("body", "{}"), nullptr, false);
    if (!body.is_object()) continue;
    out.push_back(Conflict{id, body.value("patron", ""), body.value("linked_patron", ""), e.value("station", "")});
  }
  return out;
}

}  // namespace kazasu::library
