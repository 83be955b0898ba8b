// The election plugin: polling-station reception for early voting and
// election day, Sanjo style. A voter's card, linked once to the voter number,
// is tapped at reception; the first tap anywhere in the city claims the voter
// in the shared engine (voter:{election}:{voter_number}), so a second
// reception at any station is a hard stop. See README.md beside this file.
#pragma once

#include <kazasu/plugin.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "election_config.hpp"
#include "election_store.hpp"

namespace kazasu::election {

class ElectionPlugin : public kazasu::Plugin {
 public:
  static constexpr const auto& kSettings = kElectionSettings;

  explicit ElectionPlugin(kazasu::Host host);

  static std::optional<kazasu::SettingError> check_settings(const std::string& config_json);

  void on_tap(const kazasu::Tap& tap) override;
  std::string on_command(const kazasu::Command& command) override;

 private:
  void link_tap(const kazasu::Tap& tap, const Arm& arm, const std::string& day);
  void reception_tap(const kazasu::Tap& tap, const Election& e, DayKind kind, const std::string& day, int64_t at);
  void unknown_tap(const kazasu::Tap& tap, const std::string& election, const std::string& day);

  std::string open_command(const nlohmann::json& request);
  std::string import_command(const nlohmann::json& request, const kazasu::Command& command);
  std::string link_command(const nlohmann::json& request);
  std::string counts_command(const nlohmann::json& request);
  Election election_field(const nlohmann::json& request) const;

  [[nodiscard]] std::string today() const;

  ElectionConfig config_;
  ElectionStore store_;
};

}  // namespace kazasu::election
