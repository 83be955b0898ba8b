#include "service/station.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>

#include "audit/audit_log.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/tap_id.hpp"
#include "core/tick.hpp"
#include "dispatch/crash_log.hpp"
#include "service/config_check.hpp"
#include "service/notify.hpp"

#ifndef KAZASU_VERSION
#define KAZASU_VERSION "0.0.0"
#endif

namespace kazasu {
namespace {

constexpr std::chrono::milliseconds kDrainBudget{500};
constexpr std::chrono::milliseconds kDisconnectBudget{400};

StatusFacts status_facts(const Config& cfg, const PluginHost& plugins, std::string boot_id) {
  StatusFacts f;
  f.boot_id = std::move(boot_id);
  f.version = KAZASU_VERSION;
  for (const auto& r : cfg.readers) f.readers.push_back(r.name);
  for (const auto& p : plugins.plugins()) f.plugins.emplace_back(p->name(), p->version());
  for (const auto& r : plugins.refused()) f.refused.emplace_back(r.name, r.reason);
  return f;
}

std::vector<std::shared_ptr<OutboxStore>> all_stores(const DaemonOutbox& daemon_outbox, const PluginHost& plugins) {
  std::vector<std::shared_ptr<OutboxStore>> stores{daemon_outbox.store()};
  for (const auto& p : plugins.plugins()) stores.push_back(p->outbox_store());
  return stores;
}

}  // namespace

Station::Station(const Config& cfg, std::string config_file, std::optional<ReloadFacts> reload)
    : cfg_(cfg),
      config_file_(std::move(config_file)),
      key_(TokenKey::load(cfg.station.secret_file)),
      topics_(cfg.station.site, cfg.station.name),
      boot_ms_(clock::now_unix_ms()),
      boot_id_(new_tap_id(boot_ms_)),
      pool_(std::max<size_t>(2, cfg.plugins.size())),
      daemon_outbox_(cfg.station.data_dir / "kazasud.db"),
      shared_(cfg.shared, cfg.station.site + "/" + cfg.station.name, boot_ms_),
      plugins_(cfg, topics_, pool_.get_executor(), &shared_),
      facts_(status_facts(cfg, plugins_, boot_id_)),
      publisher_(io_, cfg.mqtt, topics_.status(), status_payload(topics_, facts_, boot_ms_, "offline").dump()),
      stage_log_(cfg.stage_log),
      stores_(all_stores(daemon_outbox_, plugins_)),
      alarms_(publisher_, topics_, cfg),
      storage_(
          io_, cfg.station.data_dir, static_cast<uint64_t>(cfg.storage.alarm_free_mb) * 1024 * 1024,
          [this] { return daemon_outbox_.probe(clock::now_unix_ms()); },
          [this](StorageHealth::State state, const std::string& message) { on_storage(state, message); }),
      dispatcher_(io_, plugins_, key_, daemon_outbox_, publisher_, topics_, storage_),
      timers_(io_, plugins_, publisher_),
      commands_(io_, plugins_, publisher_),
      command_inbox_(
          publisher_, topics_, cfg.mqtt.max_command_bytes,
          [this](ParsedCommand cmd) { commands_.route(std::move(cmd)); }, cfg.mqtt.command_rate,
          cfg.mqtt.command_burst),
      // The outbox cap is an alarm, not a limit: nothing is dropped, but staff and
      // the facility PC learn the backlog is growing (retained, so it is the first
      // thing a returning broker gets).
      outbox_alarm_(
          io_, cfg.outbox, [this] { return static_cast<int64_t>(publisher_.queued()); },
          [this](const std::string& state, int64_t pending, const std::string& message) {
            alarms_.outbox(state, pending, message);
          }),
      pins_(std::chrono::milliseconds(cfg.identify.pin_ttl_ms)),
      trust_(load_trust_anchors(cfg.identify)),
      signals_(io_, SIGINT, SIGTERM, SIGHUP) {
  facts_.reload = std::move(reload);
  std::string quarantined;
  for (const auto& r : plugins_.refused()) {
    if (r.reason == "quarantined") quarantined += (quarantined.empty() ? "" : ", ") + r.name;
  }
  if (!quarantined.empty()) {
    alarms_.quarantined("plugins quarantined after bringing kazasud down: " + quarantined +
                        "; clear with kazasuctl plugins clear NAME");
  }
  shared_.on_conflict = [this](const std::string& plugin, const std::string& key, const std::string& entry_id) {
    boost::asio::post(io_, [this, plugin, key, entry_id] { on_shared_conflict(plugin, key, entry_id); });
  };
  publisher_.on_acked = [this](const Outgoing& o) {
    o.store->acknowledged(o.seq);
    if (o.store->unflushed() >= 512) {
      flush_acked();
    } else {
      arm_flush();
    }
    StageTimes t = o.times;
    t.acked_ns = clock::monotonic_ns();
    stage_log_.record(o.msg_id, o.topic, t);
  };

  // Rows left by an earlier run go first, oldest tap first (ids are UUIDv7,
  // so their text order is their time order); memory holds a bounded share.
  publisher_.publish_outboxes(stores_);

  if (cfg.settable_clock) {
    log::warning(
        "the wall clock can be set through the control socket ([diagnostics] settable_clock); never in production");
  }
  publisher_.subscribe(command_inbox_.filter(),
                       [this](const mqtt::const_message_ptr& msg) { command_inbox_.handle_message(msg); });

  for (const auto& rc : cfg.readers) {
    reader_cfg_[rc.name] = &rc;
    readers_[rc.name] = make_reader_driver(io_, rc, cfg, trust_, pins_);
  }
  readers_made_ = true;
}

int Station::run() {
  auto on_state = [this](const std::string& reader, ReaderState state, const std::string& detail) {
    driver_states_[reader] = {state, detail};
    publish_reader_state(reader);
  };
  for (auto& [name, driver] : readers_) {
    const ReaderConfig& rc = *reader_cfg_.at(name);
    driver->start([this, &rc](CardRead read) { return dispatcher_.on_read(rc, std::move(read)); }, on_state);
  }

  shared_.start();
  status_started_ = true;
  publish_status();
  publisher_.start();

  control_.emplace(io_, cfg_.station.control_socket, [this](const nlohmann::json& req) { return control(req); });

  wd_period_ = notify::watchdog_period();
  if (wd_period_.count() > 0) kick_watchdog();
  sweep_logs();

  signals_.async_wait([this](const boost::system::error_code& ec, int sig) { on_signal(ec, sig); });

  notify::ready("kazasud " KAZASU_VERSION " ready");
  log::notice("kazasud ready", "site", cfg_.station.site, "station", cfg_.station.name, "readers", cfg_.readers.size(),
              "plugins", plugins_.plugins().size(), "version", KAZASU_VERSION);
  io_.run();

  if (dispatcher_.in_flight() > 0) {
    // A plugin is stuck inside a callback; joining its thread would hang the
    // stop. Its uncommitted transaction is rolled back by SQLite on next open.
    log::error("a plugin did not return; exiting without waiting for it", "taps", dispatcher_.in_flight());
    std::_Exit(0);
  }
  pool_.join();
  flush_acked();
  log::notice("kazasud stopped");
  return 0;
}

StorageFacts Station::storage_facts() const {
  return StorageFacts{to_string(storage_.state()), storage_.free_bytes(), storage_.alarm_free_bytes(),
                      publisher_.volatile_held(), publisher_.volatile_dropped()};
}

void Station::publish_status() {
  const StorageFacts storage = storage_facts();
  publisher_.set_retained(topics_.status(), status_payload(topics_, facts_, boot_ms_, "online", &storage).dump());
}

void Station::publish_reader_state(const std::string& reader) {
  auto [state, detail] = driver_states_.at(reader);
  if (storage_.state() == StorageHealth::State::unavailable) {
    state = ReaderState::error;
    detail =
        "storage unavailable: taps on this reader are not recorded until kazasud can write to its data "
        "directory again";
  }
  publisher_.set_retained(topics_.reader(reader),
                          reader_state_payload(reader, readers_.at(reader)->driver(), to_string(state), detail));
  log::info("reader state", "reader", reader, "state", to_string(state));
}

void Station::on_storage(StorageHealth::State state, const std::string& message) {
  alarms_.storage(state, storage_.free_bytes(), message);
  if (status_started_) publish_status();
  if (readers_made_) {
    for (const auto& [name, st] : driver_states_) publish_reader_state(name);
  }
}

// Acknowledged rows are deleted in batches: one transaction per flush, not
// one per PUBACK, keeps a burst from turning into a burst of writes.
void Station::flush_acked() {
  for (const auto& s : stores_) {
    try {
      s->flush();
    } catch (const std::exception& e) {
      // The rows stay and are sent again after a restart; subscribers drop them by id.
      log::error("outbox delete failed", "owner", s->owner(), "error", e.what());
    }
  }
}

// Armed by the first PUBACK after a flush, so an idle station has no 20 ms
// timer waking it (it once woke the io thread 50 times a second for nothing).
void Station::arm_flush() {
  if (flush_armed_) return;
  flush_armed_ = true;
  flush_timer_.expires_after(std::chrono::milliseconds(20));
  flush_timer_.async_wait([this](const boost::system::error_code& ec) {
    flush_armed_ = false;
    if (!ec) flush_acked();
  });
}

// systemd's watchdog is fed only while every part of kazasud makes progress:
// this timer proves the io thread, each pcsc reader's worker goes round its
// loop or sits in a status-change wait within that wait's timeout, and a
// probe posted through each plugin's strand comes back. A part silent for a
// whole watchdog interval stops the feeding; systemd then restarts kazasud
// (Restart=on-failure).
void Station::kick_watchdog() {
  const int64_t now = clock::monotonic_ns();
  const int64_t limit = std::chrono::duration_cast<std::chrono::nanoseconds>(wd_period_).count() * 2;
  if (wd_started_ns_ == 0) wd_started_ns_ = now;
  std::string stuck;
  for (const auto& [name, driver] : readers_) {
    const int64_t beat = driver->last_progress_ns();
    if (beat >= 0 && now - std::max(beat, wd_started_ns_) > limit) stuck = "reader " + name;
  }
  for (const auto& p : plugins_.plugins()) {
    if (now - std::max(p->last_probe_ns(), wd_started_ns_) > limit) {
      stuck = "plugin " + p->name();
      // Once per stall: systemd will kill kazasud over it, and it counts towards quarantine.
      if (hung_.insert(p->name()).second) crash::record_hang(p->name());
    } else {
      hung_.erase(p->name());
    }
    p->probe();
  }
  if (stuck.empty()) {
    notify::watchdog();
  } else {
    log::error("watchdog not fed: a part of kazasud makes no progress", "part", stuck);
  }
  watchdog_.expires_at(tick::next(wd_period_));  // with the once-a-second timers when it can
  watchdog_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) kick_watchdog();
  });
}

void Station::sweep_logs() {
  log_sweep_.expires_at(tick::next(std::chrono::seconds(1)));
  log_sweep_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    log::flush_suppressed();
    update_systemd_status();
    sweep_logs();
  });
}

// The line `systemctl status kazasud` shows, kept current once a second.
void Station::update_systemd_status() {
  size_t ready = 0;
  for (const auto& [name, st] : driver_states_) ready += st.first != ReaderState::error ? 1 : 0;
  std::string line = "readers " + std::to_string(ready) + "/" + std::to_string(readers_.size()) + " ready; broker " +
                     (publisher_.connected() ? "connected" : "not connected") + "; " +
                     std::to_string(publisher_.queued()) + " outcomes queued";
  if (storage_.state() != StorageHealth::State::ok) line += "; storage " + std::string(to_string(storage_.state()));
  if (facts_.reload && !facts_.reload->ok) line += "; last reload refused";
  if (line != systemd_status_) notify::status(line);
  systemd_status_ = std::move(line);
}

void Station::on_signal(const boost::system::error_code& ec, int sig) {
  if (ec) return;
  if (sig == SIGHUP) {
    reload();
    if (!stopping_) signals_.async_wait([this](const boost::system::error_code& e, int s) { on_signal(e, s); });
    return;
  }
  log::notice("stopping", "signal", sig);
  notify::stopping();
  begin_stop();
}

nlohmann::json Station::clear_plugin(const std::string& plugin) {
  const auto& cfgs = cfg_.plugins;
  if (std::none_of(cfgs.begin(), cfgs.end(), [&](const PluginConfig& p) { return p.name == plugin; })) {
    return control_refusal("unknown_plugin", "no plugin \"" + plugin.substr(0, 64) + "\" in the configuration");
  }
  crash::record_clear(cfg_.station.data_dir, plugin);
  log::notice("plugin cleared: its earlier crashes no longer count", "plugin", plugin);
  const auto& refused = plugins_.refused();
  const bool was_quarantined = std::any_of(refused.begin(), refused.end(), [&](const RefusedPlugin& r) {
    return r.name == plugin && r.reason == "quarantined";
  });
  if (!was_quarantined) return {{"ok", true}, {"cleared", true}, {"reloading", false}};
  // Load it again: a reload starts a station that no longer keeps it out.
  nlohmann::json r = reload(std::chrono::milliseconds(100));
  r["cleared"] = true;
  return r;
}

nlohmann::json Station::reload(std::chrono::milliseconds delay) {
  if (stopping_) return control_refusal("stopping", "kazasud is already stopping or reloading");
  if (config_file_.empty()) return control_refusal("no_config_file", "this kazasud was started without a config file");
  notify::reloading();
  log::notice("reloading the configuration", "file", config_file_);
  CheckedConfig checked;
  try {
    checked = check_config_file(config_file_);
  } catch (const std::exception& e) {
    checked.errors.push_back(ConfigError{config_file_, 0, "", e.what()});
  }
  ReloadFacts facts;
  facts.at_unix_ms = clock::now_unix_ms();
  if (!checked.errors.empty()) {
    facts.ok = false;
    for (const auto& err : checked.errors) {
      log::error("reload refused: the running configuration stays", "error", err.str());
      if (facts.errors.size() < 20) facts.errors.push_back(err.str());
    }
    facts_.reload = facts;
    AuditLog::record("config_reload", {{"ok", false}, {"file", config_file_}, {"errors", facts.errors.size()}});
    publish_status();
    notify::ready("reload refused: " + facts.errors.front());
    nlohmann::json refused = control_refusal("config_invalid", "the configuration has errors; nothing changed");
    refused["errors"] = facts.errors;
    return refused;
  }
  facts_.reload = facts;
  AuditLog::record("config_reload", {{"ok", true}, {"file", config_file_}});
  next_config_ = std::move(checked.config);
  // A delay lets the control socket's answer leave before the socket closes.
  reload_timer_.expires_after(delay);
  reload_timer_.async_wait([this](const boost::system::error_code& e) {
    if (!e) begin_stop();
  });
  stopping_ = true;
  return {{"ok", true}, {"reloading", true}};
}

void Station::begin_stop() {
  stopping_ = true;
  for (auto& [name, driver] : readers_) driver->stop();
  control_->stop();
  watchdog_.cancel();
  drain_deadline_ = std::chrono::steady_clock::now() + kDrainBudget;
  wait_drain();
}

// Lets taps already with plugins commit, within a bound, then says goodbye.
void Station::wait_drain() {
  if (dispatcher_.in_flight() == 0 || std::chrono::steady_clock::now() >= drain_deadline_) {
    if (dispatcher_.in_flight() > 0) {
      log::warning("stopping with taps still inside plugins", "count", dispatcher_.in_flight());
    }
    // A reload keeps `online`: the next station publishes its own status at once.
    const bool reloading = next_config_.has_value();
    const StorageFacts storage = storage_facts();
    publisher_.stop(status_payload(topics_, facts_, clock::now_unix_ms(), reloading ? "online" : "offline",
                                   reloading ? &storage : nullptr)
                        .dump(),
                    kDisconnectBudget);
    flush_timer_.cancel();
    log_sweep_.cancel();
    storage_.stop();
    shared_.stop();
    timers_.stop();
    reload_timer_.cancel();
    signals_.cancel();
    io_.stop();
    return;
  }
  drain_.expires_after(std::chrono::milliseconds(10));
  drain_.async_wait([this](const boost::system::error_code&) { wait_drain(); });
}

void Station::on_shared_conflict(const std::string& plugin, const std::string& key, const std::string& entry_id) {
  // Never merged: staff and the facility PC learn of it from the plugin's topic and the alarm.
  const std::string message = "the shared engine already holds entry " + entry_id +
                              " with another body or amount; this station's entry "
                              "was not applied";
  alarms_.shared_conflict("plugin " + plugin + ": " + message);
  Tap event;  // not a tap: an event of its own, with a new id
  event.detected_unix_ms = clock::now_unix_ms();
  event.id = new_tap_id(event.detected_unix_ms);
  dispatcher_.publish_daemon_outcome(event, plugin, "shared_conflict",
                                     {{"key", key}, {"entry_id", entry_id}, {"message", message}});
}

}  // namespace kazasu
