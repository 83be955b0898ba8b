// Plain records the store keeps and the rules read: staff, shifts as clocked,
// and corrections, which sit beside the shifts instead of overwriting them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

struct Shift {
  int64_t id = 0;
  std::string staff;
  int64_t in_ms = 0;
  std::string in_reader;
  std::optional<int64_t> out_ms;  // empty while the staff member is in
  std::string out_reader;
  bool auto_closed = false;  // closed by the missing-clock-out rule, so staff should correct it
  bool disaster = false;     // open during a declared disaster: never closed by rule
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
