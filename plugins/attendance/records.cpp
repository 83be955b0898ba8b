#include "records.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <utility>

namespace kazasu::attendance {

Terms TermsHistory::at(int64_t day) const {
  if (by_day_.empty()) return Terms{};
  // The last entry starting on or before `day`; before the first, the first.
  auto it = std::upper_bound(by_day_.begin(), by_day_.end(), day,
                             [](int64_t d, const std::pair<int64_t, Terms>& e) { return d < e.first; });
  return it == by_day_.begin() ? it->second : std::prev(it)->second;
}

std::vector<Effective> apply_corrections(const std::vector<Shift>& shifts, const std::vector<Correction>& corrections,
                                         int32_t off) {
  // Latest correction per (staff, day); ids grow, so the highest id is the latest.
  std::map<std::pair<std::string, int64_t>, const Correction*> latest;
  for (const auto& c : corrections) {
    auto& slot = latest[{c.staff, c.day}];
    if (slot == nullptr || slot->id < c.id) slot = &c;
  }
  std::vector<Effective> out;
  for (const auto& s : shifts) {
    const int64_t day = station_day_number(s.in_ms, off);
    if (latest.count({s.staff, day}) != 0) continue;
    out.push_back(Effective{s.staff, day, s.in_ms, s.out_ms, s.auto_closed, false});
  }
  for (const auto& [key, c] : latest) out.push_back(Effective{c->staff, c->day, c->in_ms, c->out_ms, false, true});
  std::sort(out.begin(), out.end(), [](const Effective& a, const Effective& b) {
    return a.staff != b.staff ? a.staff < b.staff : a.in_ms < b.in_ms;
  });
  return out;
}

}  // namespace kazasu::attendance
