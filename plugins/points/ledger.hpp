// The city's points ledger on the shared state (plugin ABI 1.3): append-only,
// double entry. Every movement of points is two shared_appends, one per
// stream, whose ids derive from the movement's idempotency key (the tap id or
// the request id) and whose amounts sum to zero:
//   {movement}:dr  on the stream that gives the points    (amount -n)
//   {movement}:cr  on the stream that receives them       (amount +n)
// Streams: account:{token}, facility:{id} and event:{id} (sources of awards),
// prize:{id}, project:{id}, forfeit. A balance is the sum of a stream
// (shared_entries); nothing else holds it. Every stream key is also listed
// once in the `streams` index, so a check can add up the whole ledger (the
// trial balance is zero when every movement arrived whole).
//
// Appends are local first: a facility whose link is down keeps awarding, and
// the host replays the entries, once each, when the engine is back.
#pragma once

#include <kazasu/plugin.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "points_store.hpp"

namespace kazasu::points {

/** One entry of a stream as the engine reports it. */
// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json members make the implicit members throwing
struct LedgerEntry {
  std::string id;
  nlohmann::json body;  // the movement's body (kind, facility, event, day, fy, ...)
  int64_t amount = 0;
  std::string station;
  int64_t at_ms = 0;
  bool pending = false;  // made here, not on the engine yet
};

/** A stream read: newest first, with the sum and count of all its entries. */
struct Stream {
  kazasu_shared_status status = KAZASU_SHARED_UNAVAILABLE;
  std::vector<LedgerEntry> entries;
  int64_t sum = 0;
  int64_t count = 0;
  int64_t pending = 0;  // listed entries this station made that are not on the engine yet
  [[nodiscard]] bool ok() const { return status == KAZASU_SHARED_OK; }
};

/** A movement of `amount` (> 0) points from `debit` to `credit`. */
// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json members make the implicit members throwing
struct Movement {
  std::string id;  // the idempotency key: tap:{tap}:visit, req:{account}:{request}:redeem, ...
  std::string debit;
  std::string credit;
  int64_t amount = 0;
  nlohmann::json body;  // the same text on both sides, so a replay never conflicts
};

inline constexpr const char* kStreamsIndex = "streams";
inline constexpr const char* kForfeit = "forfeit";

inline std::string account_key(const std::string& token) {
  return "account:" + token;
}
inline std::string facility_key(const std::string& id) {
  return "facility:" + id;
}
inline std::string event_key(const std::string& id) {
  return "event:" + id;
}
inline std::string prize_key(const std::string& id) {
  return "prize:" + id;
}
inline std::string project_key(const std::string& id) {
  return "project:" + id;
}

/** True when a shared call could not reach the engine (or the host has no shared state). */
inline bool away(kazasu_shared_status s) {
  return s == KAZASU_SHARED_UNAVAILABLE || s == KAZASU_SHARED_NOT_ALLOWED;
}

class Ledger {
 public:
  Ledger(kazasu::Host host, PointsStore& store) : host_(host), store_(store) {}

  /** The newest `limit` entries of `key` (at most 1000) and the sum of all. */
  [[nodiscard]] Stream read(const std::string& key, uint32_t limit) const;

  /**
   * Appends both sides of `m` (and lists new stream keys in the index), in
   * the callback's transaction. Throws std::runtime_error when the host
   * refuses an append (a key or id outside the limits: a programming error).
   */
  void post(const Movement& m);

 private:
  void index(const std::string& key);
  kazasu::Host host_;
  PointsStore& store_;
};

}  // namespace kazasu::points
