// One running station: every part of kazasud, made in the order a tap meets
// them and destroyed in reverse, the retained state topics it keeps (status,
// readers/{reader}), the control socket's commands (control_commands.cpp) and
// the stop on SIGTERM/SIGINT.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "core/stage_log.hpp"
#include "dispatch/command_router.hpp"
#include "dispatch/dispatcher.hpp"
#include "dispatch/plugin_host.hpp"
#include "dispatch/timer_service.hpp"
#include "identify/pin_source.hpp"
#include "identify/token_key.hpp"
#include "mqtt/commands.hpp"
#include "mqtt/publisher.hpp"
#include "mqtt/state_payloads.hpp"
#include "mqtt/topics.hpp"
#include "outbox/daemon_outbox.hpp"
#include "outbox/outbox_alarm.hpp"
#include "outbox/storage_health.hpp"
#include "readers/reader_driver.hpp"
#include "readers/reader_factory.hpp"
#include "service/alarm_board.hpp"
#include "service/control_socket.hpp"
#include "shared/shared_service.hpp"

namespace kazasu {

class Station {
 public:
  /**
   * Makes every part; the data directory must already be prepared. Throws on
   * start-up failure. `config_file` is what a reload reads again; `reload`
   * is the last reload's outcome, shown in `status`.
   */
  Station(const Config& cfg, std::string config_file = {}, std::optional<ReloadFacts> reload = std::nullopt);
  Station(const Station&) = delete;
  Station& operator=(const Station&) = delete;

  /** Starts readers, the broker link and the control socket, and runs until stopped; the exit code. */
  int run();

  /** Answers one control socket request (control_commands.cpp). */
  nlohmann::json control(const nlohmann::json& req);

  /**
   * Reads and checks the config file whole. Bad: nothing changes, the errors
   * are logged and shown in `status`, and the answer says why. Good: this
   * station stops as for SIGTERM (taps in flight commit, status stays online)
   * so that run() returns and the caller starts the new config.
   */
  nlohmann::json reload(std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  /** The config a good reload read, once run() has returned. */
  std::optional<Config> take_reload() { return std::exchange(next_config_, std::nullopt); }
  [[nodiscard]] const std::optional<ReloadFacts>& reload_facts() const { return facts_.reload; }
  /** Staff clear a plugin's crashes; a quarantined one is loaded again by a reload. */
  nlohmann::json clear_plugin(const std::string& plugin);

 private:
  nlohmann::json control_tap(const nlohmann::json& req);
  nlohmann::json control_pin(const nlohmann::json& req);
  nlohmann::json control_clock(const nlohmann::json& req);
  nlohmann::json control_status();

  [[nodiscard]] StorageFacts storage_facts() const;
  [[nodiscard]] std::string offline_status() const;
  void publish_status();
  void publish_reader_state(const std::string& reader);
  void on_storage(StorageHealth::State state, const std::string& message);
  void on_shared_conflict(const std::string& plugin, const std::string& key, const std::string& entry_id);
  void flush_acked();
  void arm_flush();
  void kick_watchdog();
  void sweep_logs();
  void update_systemd_status();
  void on_signal(const boost::system::error_code& ec, int sig);
  void begin_stop();
  void wait_drain();

  const Config& cfg_;
  const std::string config_file_;
  std::optional<Config> next_config_;  // set by a good reload
  const TokenKey key_;
  const Topics topics_;
  const int64_t boot_ms_;
  const std::string boot_id_;

  boost::asio::io_context io_{1};
  // Plugins run here, each on its own strand, so a slow plugin never stalls
  // the io thread that readers and the broker depend on.
  boost::asio::thread_pool pool_;

  DaemonOutbox daemon_outbox_;
  shared::Service shared_;  // before plugins_: they call it, and outlive it never
  PluginHost plugins_;
  StatusFacts facts_;  // what `status` says: fixed from the start, but the last reload
  Publisher publisher_;
  StageLog stage_log_;
  std::vector<std::shared_ptr<OutboxStore>> stores_;
  boost::asio::steady_timer flush_timer_{io_};
  bool flush_armed_ = false;
  AlarmBoard alarms_;
  // Readers' retained states as their drivers last reported them; while the
  // disk refuses writes every reader shows it instead (publish_reader_state()).
  std::map<std::string, std::unique_ptr<ReaderDriver>> readers_;
  std::map<std::string, std::pair<ReaderState, std::string>> driver_states_;
  bool readers_made_ = false;    // reader states are published once the drivers exist
  bool status_started_ = false;  // and `status` once the readers have started
  StorageHealth storage_;
  Dispatcher dispatcher_;
  TimerService timers_;
  CommandRouter commands_;
  CommandInbox command_inbox_;
  OutboxAlarm outbox_alarm_;
  // PINs armed over the control socket for possession reads (docs/identify.md).
  ArmedPinSource pins_;
  const std::shared_ptr<const TrustStore> trust_;
  std::map<std::string, const ReaderConfig*> reader_cfg_;
  std::optional<ControlSocket> control_;
  boost::asio::steady_timer watchdog_{io_};
  std::chrono::microseconds wd_period_{0};
  int64_t wd_started_ns_ = 0;
  std::set<std::string> hung_;  // plugins the watchdog found stuck and has recorded
  // Counts of rate-limited log lines are written once their window has passed.
  boost::asio::steady_timer log_sweep_{io_};
  boost::asio::signal_set signals_;
  boost::asio::steady_timer drain_{io_};
  boost::asio::steady_timer reload_timer_{io_};
  bool stopping_ = false;
  std::string systemd_status_;
  std::chrono::steady_clock::time_point drain_deadline_;
};

}  // namespace kazasu
