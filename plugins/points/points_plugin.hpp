// The points plugin: civic points at facilities and events, Sukumo-ID style.
// A resident's card earns points at every facility of the city (one account
// on the shared state), spends them on prizes and draw entries, and donates
// them to citizen-proposed projects. The ledger is append-only double entry on
// the shared state (ledger.hpp); this station keeps a mirror of what it did
// (points_store.hpp). See README.md beside this file.
#pragma once

#include <kazasu/plugin.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ledger.hpp"
#include "points_config.hpp"
#include "points_store.hpp"

namespace kazasu::points {

/** An account as the shared record `account:{token}` holds it. */
// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json members make the implicit members throwing
struct Account {
  std::string status;  // active, suspended, closed
  nlohmann::json value;
  int64_t version = 0;
};

class PointsPlugin : public kazasu::Plugin {
 public:
  static constexpr const auto& kSettings = kPointsSettings;
  static constexpr uint64_t kSyncTimer = 1;

  explicit PointsPlugin(kazasu::Host host);

  static std::optional<kazasu::SettingError> check_settings(const std::string& config_json);

  void on_tap(const kazasu::Tap& tap) override;
  std::string on_command(const kazasu::Command& command) override;
  void on_timer(uint64_t timer_id, int64_t now_unix_ms) override;

 private:
  enum class Found { yes, no, away };
  struct Lookup {
    Found found = Found::away;
    Account account;
  };
  [[nodiscard]] Lookup lookup(const std::string& token) const;

  // taps (points_plugin.cpp)
  void register_tap(const kazasu::Tap& tap, const Arm& arm, int64_t at);
  void balance_tap(const kazasu::Tap& tap, int64_t at);
  void award_tap(const kazasu::Tap& tap, int64_t at);
  void unknown_tap(const kazasu::Tap& tap, const std::string& reason, const std::string& facility,
                   const std::string& day);
  void refuse_tap(const kazasu::Tap& tap, const std::string& reason, const std::string& facility,
                  const std::string& day, const nlohmann::json& extra);

  // accounts and commands (points_commands.cpp)
  enum class Opened { registered, reopened, already, unavailable };
  Opened open_account(const std::string& token, const std::string& consent_method, int64_t consent_ms, int64_t now_ms);
  std::string register_command(const nlohmann::json& request);
  std::string status_command(const nlohmann::json& request, const std::string& to);
  std::string close_command(const nlohmann::json& request);
  std::string balance_command(const nlohmann::json& request, bool history);
  std::string redeem_command(const nlohmann::json& request);
  std::string donate_command(const nlohmann::json& request);
  std::string report_command(const nlohmann::json& request);
  Account active_account(const std::string& token) const;

  // the ledger's upkeep (points_sync.cpp)
  void sync(int64_t now_ms);
  bool check_offline_awards();
  void settle_projects(int64_t now_ms);
  void publish_projects(bool force);
  /** The trial balance and this station's movements against the engine; nullopt when the engine is away. */
  std::optional<nlohmann::json> ledger_check();

  [[nodiscard]] nlohmann::json history(const std::string& token, const Stream& s, size_t limit) const;
  [[nodiscard]] std::string day_of(int64_t unix_ms) const;
  [[nodiscard]] std::string at_text(int64_t unix_ms) const;

  PointsConfig config_;
  PointsStore store_;
  Ledger ledger_;
  bool start_checked_ = false;
};

/** 64 lower-case hex digits: a card token. */
bool valid_token(std::string_view s);

}  // namespace kazasu::points
