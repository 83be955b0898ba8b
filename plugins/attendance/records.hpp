// Plain records the store keeps and the rules read: staff, shifts as clocked,
// and corrections, which sit beside the shifts instead of overwriting them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rules.hpp"

namespace kazasu::attendance {

struct Staff {
  std::string staff;  // staff number
  std::string section;
  SectionType section_type = SectionType::ordinary;
  Pattern pattern;
  bool approver = false;  // may approve other staff members' corrections
};

/** What a staff member's limits and overtime depend on; effective-dated (TermsHistory). */
struct Terms {
  SectionType section_type = SectionType::ordinary;
  Pattern pattern;
  bool operator==(const Terms&) const = default;
};

/**
 * A staff member's terms by station day: each entry is in force from its day
 * until the next entry's. A day before the first entry has the first one (a
 * correction dated before the enrolment), and a staff member without any has
 * the defaults.
 */
class TermsHistory {
 public:
  TermsHistory() = default;
  /** `from_day` ascending. */
  explicit TermsHistory(std::vector<std::pair<int64_t, Terms>> by_day) : by_day_(std::move(by_day)) {}
  [[nodiscard]] Terms at(int64_t day) const;
  [[nodiscard]] Pattern pattern_at(int64_t day) const { return at(day).pattern; }
  [[nodiscard]] bool empty() const { return by_day_.empty(); }

 private:
  std::vector<std::pair<int64_t, Terms>> by_day_;
};

struct Shift {
  int64_t id = 0;
  std::string staff;
  int64_t in_ms = 0;
  std::string in_reader;
  std::optional<int64_t> out_ms;  // empty while the staff member is in
  std::string out_reader;
  bool auto_closed = false;  // closed by the missing-clock-out rule, so staff should correct it
  bool disaster = false;     // open during a declared disaster: never closed by rule
  // Shared across stations (README "Shifts across stations"):
  std::string uid{};          // the clock-in tap's id: names the shift at every station
  std::string origin{};       // for a shift begun at another station and ended here: that station
  std::string out_station{};  // for a shift begun here and ended at another station: that station
};

struct Correction {
  int64_t id = 0;
  std::string staff;
  int64_t day = 0;  // station day number the correction is for
  int64_t in_ms = 0;
  int64_t out_ms = 0;
  std::string reason;
  std::string approver;
  int64_t created_ms = 0;
};

/** A shift as it counts: the clocked one, or what a correction says for its day. */
struct Effective {
  std::string staff;
  int64_t day = 0;
  int64_t in_ms = 0;
  std::optional<int64_t> out_ms;
  bool auto_closed = false;
  bool corrected = false;
};

/**
 * The shifts that count: for a day with corrections the latest correction
 * replaces every shift of that staff member starting that day; other shifts
 * count as clocked. Sorted by staff, then clock-in.
 */
std::vector<Effective> apply_corrections(const std::vector<Shift>& shifts, const std::vector<Correction>& corrections,
                                         int32_t utc_offset_seconds);

}  // namespace kazasu::attendance
