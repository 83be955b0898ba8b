// The earning limits, read from an account's stream (ledger.hpp). Pure
// functions of the entries, so every station comes to the same answer:
//  - daily limit: at most `per_day` visits per account, facility and day;
//  - an event's bonus once per account;
//  - the yearly cap: points earned per fiscal year.
// An award made offline (`offline` in its body) is checked once it is on the
// engine: against every online award, and the offline awards that reached the
// engine before it, each counted as what it was allowed. Online awards were
// checked when they were made and are never corrected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger.hpp"

namespace kazasu::points {

/** Visits at `facility` on `day` in the entries, less those corrected for the daily limit. */
int64_t visits_on(const std::vector<LedgerEntry>& entries, const std::string& facility, const std::string& day);

/** Bonuses of `event` in the entries, less those corrected. */
int64_t bonuses_of(const std::vector<LedgerEntry>& entries, const std::string& event);

/** Points earned in fiscal year `fy` (awards less corrections). */
int64_t earned_in(const std::vector<LedgerEntry>& entries, int fy);

struct Verdict {
  int64_t awarded = 0;  // what the award gave
  int64_t allowed = 0;  // what the limits allow it to keep
  std::string rule;     // daily_limit, event_once or yearly_cap when allowed < awarded; else ""
};

/**
 * The verdict on the offline award whose account side is `entry_id`, from the
 * account's entries (newest first, as the engine lists them); nullopt while
 * it has not reached the engine (or is not in the list).
 */
std::optional<Verdict> judge_offline(const std::vector<LedgerEntry>& entries, const std::string& entry_id);

}  // namespace kazasu::points
