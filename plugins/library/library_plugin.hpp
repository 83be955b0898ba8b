// The library lending plugin: a patron's own My Number Card as the library
// card. Staff arm the counter reader with the patron number
// (library/cmd/link), the patron taps, and from then on a tap tells the
// circulation PC which patron stands there (library/patron), optionally with
// what the ILS says over SIP2. See README.md beside this file.
#pragma once

#include <kazasu/plugin.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "library_config.hpp"
#include "link_store.hpp"
#include "shared_links.hpp"
#include "sip2_client.hpp"

namespace kazasu::library {

class LibraryPlugin : public kazasu::Plugin {
 public:
  static constexpr const auto& kSettings = kLibrarySettings;

  explicit LibraryPlugin(kazasu::Host host);

  /** Rules between settings (a charset with a SIP2 host), for FILE:LINE errors before create. */
  static std::optional<kazasu::SettingError> check_settings(const std::string& config_json);

  void on_tap(const kazasu::Tap& tap) override;
  std::string on_command(const kazasu::Command& command) override;
  void on_timer(uint64_t timer_id, int64_t now_unix_ms) override;

 private:
  void link_tap(const kazasu::Tap& tap, const Arm& arm, const std::string& day);
  void patron_tap(const kazasu::Tap& tap, const Link& link, const std::string& day);
  void unknown_tap(const kazasu::Tap& tap, const std::string& day);
  [[nodiscard]] nlohmann::json ils_fields(const std::string& patron, int64_t now_ms);

  std::string link_command(const nlohmann::json& request, const kazasu::Command& command);
  std::string unlink_command(const nlohmann::json& request);
  std::string stats_command(const nlohmann::json& request);

  [[nodiscard]] std::string today() const;
  void sync_links();

  LibraryConfig config_;
  LinkStore store_;
  SharedLinks links_;                 // the city's links; store_ keeps this station's copy
  std::unique_ptr<Sip2Client> sip2_;  // null when sip2_host is empty
};

}  // namespace kazasu::library
