// Fuzz target: a voter roll sent as CSV to election/cmd/import_roll
// (election::parse_roll with limits like the plugin's, then split_csv_line
// on its own).
#include <cstdint>
#include <string>
#include <string_view>

#include "roll_csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kazasu::election;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  RollRules rules;
  rules.max_lines = 200;
  rules.stations = {"hall-1", "hall-2"};
  rules.election_day = 20000;  // 2024-10-04
  const ParsedRoll roll = parse_roll(text, rules);
  if (roll.rejected.size() > kMaxReported || roll.rejected.size() > roll.rejected_total) __builtin_trap();
  if (roll.voters.size() > rules.max_lines) __builtin_trap();
  std::string why;
  (void)split_csv_line(text.substr(0, text.find('\n')), why);
  return 0;
}
