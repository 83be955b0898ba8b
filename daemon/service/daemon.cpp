#include "service/daemon.hpp"

#include <openssl/crypto.h>
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <csignal>
#include <map>
#include <memory>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/stage_log.hpp"
#include "core/tap_id.hpp"
#include "dispatch/dispatcher.hpp"
#include "dispatch/plugin_host.hpp"
#include "dispatch/timer_service.hpp"
#include "identify/pin_source.hpp"
#include "identify/token_key.hpp"
#include "mqtt/commands.hpp"
#include "mqtt/publisher.hpp"
#include "mqtt/topics.hpp"
#include "outbox/daemon_outbox.hpp"
#include "outbox/outbox_alarm.hpp"
#include "outbox/storage_health.hpp"
#include "readers/reader_factory.hpp"
#include "readers/sim_reader.hpp"
#include "service/alarm_board.hpp"
#include "service/control_socket.hpp"
#include "service/data_dir.hpp"
#include "service/notify.hpp"

#ifndef KAZASU_VERSION
#define KAZASU_VERSION "0.0.0"
#endif

namespace kazasu {
namespace {

constexpr std::chrono::milliseconds kDrainBudget{500};
constexpr std::chrono::milliseconds kDisconnectBudget{400};

nlohmann::ordered_json status_payload(const std::string& boot_id, int64_t ts_ms, const std::string& state,
                                      const Config& cfg, const PluginHost& plugins,
                                      const StorageHealth* storage = nullptr, const Publisher* publisher = nullptr) {
  nlohmann::ordered_json j;
  j["schema"] = "kazasu/v1/status";
  j["id"] = boot_id;
  j["ts"] = clock::rfc3339(ts_ms);
  j["site"] = cfg.station.site;
  j["station"] = cfg.station.name;
  j["state"] = state;
  j["version"] = KAZASU_VERSION;
  j["readers"] = nlohmann::json::array();
  for (const auto& r : cfg.readers) j["readers"].push_back(r.name);
  j["plugins"] = nlohmann::json::array();
  for (const auto& p : plugins.plugins()) j["plugins"].push_back({{"name", p->name()}, {"version", p->version()}});
  j["refused_plugins"] = nlohmann::json::array();
  for (const auto& r : plugins.refused()) j["refused_plugins"].push_back({{"name", r.name}, {"reason", r.reason}});
  if (storage != nullptr && publisher != nullptr) {
    j["storage"] = {{"state", to_string(storage->state())},
                    {"free_bytes", storage->free_bytes()},
                    {"alarm_free_bytes", storage->alarm_free_bytes()},
                    {"held_in_memory", publisher->volatile_held()},
                    {"dropped_from_memory", publisher->volatile_dropped()}};
  }
  return j;
}

// A string field of a control request; a missing one is `fallback`, any other type a refusal.
std::string string_field(const nlohmann::json& req, const char* key, const char* fallback = "") {
  const auto it = req.find(key);
  if (it == req.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw ControlError("bad_field", std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

// Outbox rows left by an earlier run, oldest tap first: ids are UUIDv7, so
// their text order is their time order; rows of one file keep their seq order.
std::vector<Outgoing> load_pending(const std::vector<std::shared_ptr<OutboxStore>>& stores) {
  std::vector<Outgoing> all;
  for (const auto& s : stores) {
    for (auto& m : s->pending()) all.push_back(Outgoing{s, m.seq, m.msg_id, m.topic, m.payload, {}, m.retained});
  }
  std::stable_sort(all.begin(), all.end(), [](const Outgoing& a, const Outgoing& b) { return a.msg_id < b.msg_id; });
  return all;
}

}  // namespace

int run_daemon(const Config& cfg) {
  log::set_level(cfg.station.log_level);
  // Before anything creates a file: ledgers readable by the service user only.
  prepare_data_dir(cfg.station.data_dir);
  const TokenKey key = TokenKey::load(cfg.station.secret_file);
  const Topics topics(cfg.station.site, cfg.station.name);
  const int64_t boot_ms = clock::now_unix_ms();
  const std::string boot_id = new_tap_id(boot_ms);

  boost::asio::io_context io(1);
  // Plugins run here, each on its own strand, so a slow plugin never stalls
  // the io thread that readers and the broker depend on.
  boost::asio::thread_pool pool(std::max<size_t>(2, cfg.plugins.size()));

  DaemonOutbox daemon_outbox(cfg.station.data_dir / "kazasud.db");
  PluginHost plugins(cfg, topics, pool.get_executor());

  const std::string offline = status_payload(boot_id, boot_ms, "offline", cfg, plugins).dump();
  Publisher publisher(io, cfg.mqtt, topics.status(), offline);
  StageLog stage_log(cfg.stage_log);
  std::vector<std::shared_ptr<OutboxStore>> stores{daemon_outbox.store()};
  for (const auto& p : plugins.plugins()) stores.push_back(p->outbox_store());
  // Acknowledged rows are deleted in batches: one transaction per flush, not
  // one per PUBACK, keeps a burst from turning into a burst of writes.
  auto flush_acked = [&stores] {
    for (const auto& s : stores) {
      try {
        s->flush();
      } catch (const std::exception& e) {
        // The rows stay and are sent again after a restart; subscribers drop them by id.
        log::error("outbox delete failed", "owner", s->owner(), "error", e.what());
      }
    }
  };
  boost::asio::steady_timer flush_timer(io);
  std::function<void()> arm_flush = [&] {
    flush_timer.expires_after(std::chrono::milliseconds(20));
    flush_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      flush_acked();
      arm_flush();
    });
  };
  arm_flush();
  AlarmBoard alarms(publisher, topics, cfg);
  // Readers' retained states as their drivers last reported them; while the
  // disk refuses writes every reader shows it instead (reader_state()).
  std::map<std::string, std::unique_ptr<ReaderDriver>> readers;
  std::map<std::string, std::pair<ReaderState, std::string>> driver_states;
  std::function<void(const std::string&)> publish_reader_state;
  std::function<void()> publish_status;
  StorageHealth storage(
      io, cfg.station.data_dir, static_cast<uint64_t>(cfg.storage.alarm_free_mb) * 1024 * 1024,
      [&daemon_outbox] { return daemon_outbox.probe(clock::now_unix_ms()); },
      [&](StorageHealth::State state, const std::string& message) {
        alarms.storage(state, storage.free_bytes(), message);
        if (publish_status) publish_status();
        if (publish_reader_state) {
          for (const auto& [name, st] : driver_states) publish_reader_state(name);
        }
      });
  publisher.on_acked = [&stage_log, &flush_acked](const Outgoing& o) {
    o.store->acknowledged(o.seq);
    if (o.store->unflushed() >= 512) flush_acked();
    StageTimes t = o.times;
    t.acked_ns = clock::monotonic_ns();
    stage_log.record(o.msg_id, o.topic, t);
  };

  const auto pending = load_pending(stores);
  if (!pending.empty()) log::notice("publishing outcomes left from the last run", "count", pending.size());
  for (const auto& o : pending) publisher.enqueue(o);

  Dispatcher dispatcher(io, plugins, key, daemon_outbox, publisher, topics, storage);

  TimerService timers(io, plugins, publisher);
  if (cfg.settable_clock) {
    log::warning(
        "the wall clock can be set through the control socket ([diagnostics] settable_clock); never in production");
  }

  CommandRouter commands(io, plugins, publisher, topics, cfg.mqtt.max_command_bytes);
  publisher.subscribe(commands.filter(),
                      [&commands](const mqtt::const_message_ptr& msg) { commands.handle_message(msg); });

  // The outbox cap is an alarm, not a limit: nothing is dropped, but staff and
  // the facility PC learn the backlog is growing (retained, so it is the first
  // thing a returning broker gets).
  OutboxAlarm alarm(
      io, cfg.outbox, [&] { return static_cast<int64_t>(publisher.queued()); },
      [&](const std::string& state, int64_t pending, const std::string& message) {
        alarms.outbox(state, pending, message);
      });

  // PINs armed over the control socket for possession reads (docs/identify.md).
  ArmedPinSource pins(std::chrono::milliseconds(cfg.identify.pin_ttl_ms));
  const auto trust = load_trust_anchors(cfg.identify);
  std::map<std::string, const ReaderConfig*> reader_cfg;
  for (const auto& rc : cfg.readers) {
    reader_cfg[rc.name] = &rc;
    readers[rc.name] = make_reader_driver(io, rc, cfg, trust, pins);
  }
  publish_reader_state = [&](const std::string& reader) {
    auto [state, detail] = driver_states.at(reader);
    if (storage.state() == StorageHealth::State::unavailable) {
      state = ReaderState::error;
      detail =
          "storage unavailable: taps on this reader are not recorded until kazasud can write to its data "
          "directory again";
    }
    nlohmann::ordered_json j;
    j["schema"] = "kazasu/v1/readers";
    j["id"] = new_tap_id(clock::now_unix_ms());
    j["ts"] = clock::rfc3339(clock::now_unix_ms());
    j["reader"] = reader;
    j["driver"] = readers.at(reader)->driver();
    j["state"] = to_string(state);
    j["detail"] = detail;
    publisher.set_retained(topics.reader(reader), j.dump());
    log::info("reader state", "reader", reader, "state", to_string(state));
  };
  auto on_state = [&](const std::string& reader, ReaderState state, const std::string& detail) {
    driver_states[reader] = {state, detail};
    publish_reader_state(reader);
  };
  for (auto& [name, driver] : readers) {
    const ReaderConfig& rc = *reader_cfg.at(name);
    driver->start([&dispatcher, &rc](CardRead read) { return dispatcher.on_read(rc, std::move(read)); }, on_state);
  }

  publish_status = [&] {
    publisher.set_retained(topics.status(),
                           status_payload(boot_id, boot_ms, "online", cfg, plugins, &storage, &publisher).dump());
  };
  publish_status();
  publisher.start();

  ControlSocket control(io, cfg.station.control_socket, [&](const nlohmann::json& req) -> nlohmann::json {
    const std::string cmd = req["cmd"].get<std::string>();
    if (cmd == "tap") {
      const std::string reader = string_field(req, "reader");
      const std::string card = string_field(req, "card");
      auto it = readers.find(reader);
      if (it == readers.end()) return control_refusal("unknown_reader", "no reader named \"" + reader + "\"");
      auto* sim = dynamic_cast<SimReader*>(it->second.get());
      if (sim == nullptr) return control_refusal("not_simulated", "reader " + reader + " is not a simulated reader");
      auto id = sim->tap(card);
      if (!id) return control_refusal(id.error().reason, id.error().message);
      return {{"ok", true}, {"id", id.value()}};
    }
    if (cmd == "pin") {
      // Never logged; the request's own copy dies with the request.
      const std::string reader = string_field(req, "reader");
      std::string pin = string_field(req, "pin");
      const auto purpose = parse_pin_purpose(string_field(req, "for", "auth"));
      std::string code;
      std::string error;
      if (readers.find(reader) == readers.end()) {
        code = "unknown_reader";
        error = "no reader named \"" + reader + "\"";
      } else if (!purpose) {
        code = "bad_field";
        error = "\"for\" is \"auth\" (the JPKI auth PIN) or \"basic_info\" (the card-face PIN)";
      } else if (!auth_pin_format_ok(pin)) {
        code = "bad_pin_format";
        error = std::string(*purpose == PinPurpose::auth ? "the auth PIN" : "the card-face PIN") + " is 4 digits";
      }
      if (!error.empty()) {
        OPENSSL_cleanse(pin.data(), pin.size());
        return control_refusal(code, error);
      }
      pins.arm(reader, *purpose, pin);
      return {{"ok", true}, {"for", to_string(*purpose)}, {"ttl_ms", cfg.identify.pin_ttl_ms}};
    }
    if (cmd == "clock") {
      if (!cfg.settable_clock)
        return control_refusal("not_allowed", "the clock is not settable ([diagnostics] settable_clock)");
      int64_t at = 0;
      if (!clock::parse_rfc3339(string_field(req, "set"), at)) {
        return control_refusal("bad_field", "expected \"set\": an RFC 3339 time such as 2027-04-01T00:00:00+09:00");
      }
      clock::set_offset_ms(0);
      clock::set_offset_ms(at - clock::now_unix_ms());
      log::notice("wall clock set", "now", clock::rfc3339(clock::now_unix_ms()));
      return {{"ok", true}, {"now", clock::rfc3339(clock::now_unix_ms())}};
    }
    if (cmd == "status") {
      nlohmann::json j = status_payload(boot_id, boot_ms, "online", cfg, plugins, &storage, &publisher);
      j["ok"] = true;
      j["mqtt"] = publisher.connected() ? "connected" : "disconnected";
      j["queued"] = publisher.queued();
      j["taps_in_flight"] = dispatcher.in_flight();
      for (auto& p : j["plugins"]) {
        const PluginInstance* inst = plugins.find(p["name"].get<std::string>());
        p["taps"] = inst->taps();
        p["errors"] = inst->errors();
      }
      return j;
    }
    return control_refusal("unknown_command", "unknown command \"" + cmd.substr(0, 64) + "\"");
  });

  boost::asio::steady_timer watchdog(io);
  const auto wd_period = notify::watchdog_period();
  std::function<void()> kick = [&] {
    notify::watchdog();
    watchdog.expires_after(wd_period);
    watchdog.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) kick();
    });
  };
  if (wd_period.count() > 0) kick();

  // Counts of rate-limited log lines are written once their window has passed.
  boost::asio::steady_timer log_sweep(io);
  std::function<void()> sweep_logs = [&] {
    log_sweep.expires_after(std::chrono::seconds(1));
    log_sweep.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      log::flush_suppressed();
      sweep_logs();
    });
  };
  sweep_logs();

  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  boost::asio::steady_timer drain(io);
  std::chrono::steady_clock::time_point drain_deadline;
  // Lets taps already with plugins commit, within a bound, then says goodbye.
  std::function<void()> wait_drain = [&] {
    if (dispatcher.in_flight() == 0 || std::chrono::steady_clock::now() >= drain_deadline) {
      if (dispatcher.in_flight() > 0) {
        log::warning("stopping with taps still inside plugins", "count", dispatcher.in_flight());
      }
      publisher.stop(status_payload(boot_id, clock::now_unix_ms(), "offline", cfg, plugins).dump(), kDisconnectBudget);
      flush_timer.cancel();
      log_sweep.cancel();
      storage.stop();
      timers.stop();
      io.stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(10));
    drain.async_wait([&](const boost::system::error_code&) { wait_drain(); });
  };
  std::function<void(const boost::system::error_code&, int)> on_signal;
  on_signal = [&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      log::notice("SIGHUP received; configuration reload is not supported yet, restart to apply changes");
      signals.async_wait(on_signal);
      return;
    }
    log::notice("stopping", "signal", sig);
    notify::stopping();
    for (auto& [name, driver] : readers) driver->stop();
    control.stop();
    watchdog.cancel();
    drain_deadline = std::chrono::steady_clock::now() + kDrainBudget;
    wait_drain();
  };
  signals.async_wait(on_signal);

  notify::ready("kazasud " KAZASU_VERSION " ready");
  log::notice("kazasud ready", "site", cfg.station.site, "station", cfg.station.name, "readers", cfg.readers.size(),
              "plugins", plugins.plugins().size(), "version", KAZASU_VERSION);
  io.run();

  if (dispatcher.in_flight() > 0) {
    // A plugin is stuck inside a callback; joining its thread would hang the
    // stop. Its uncommitted transaction is rolled back by SQLite on next open.
    log::error("a plugin did not return; exiting without waiting for it", "taps", dispatcher.in_flight());
    std::_Exit(0);
  }
  pool.join();
  flush_acked();
  log::notice("kazasud stopped");
  return 0;
}

}  // namespace kazasu
