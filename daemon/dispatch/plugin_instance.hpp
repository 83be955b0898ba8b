// A loaded, created plugin: its library, its own SQLite database, its strand,
// and the host vtable it calls back into. on_tap runs on the plugin's strand
// inside a transaction that also holds the outbox rows of what it publishes,
// so a tap's ledger change and its outcomes commit together or not at all.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/result.hpp"
#include "core/tap.hpp"
#include "dispatch/plugin_call.hpp"
#include "dispatch/plugin_library.hpp"
#include "identify/basic_four.hpp"
#include "mqtt/outgoing.hpp"
#include "mqtt/topics.hpp"
#include "outbox/outbox_store.hpp"
#include "outbox/sqlite.hpp"
#include "shared/shared_service.hpp"

struct kazasu_context;

namespace kazasu {

class PluginInstance {
 public:
  /** Opens the plugin's database, then calls its create(); the error is one log sentence. */
  static Result<std::unique_ptr<PluginInstance>> create(std::shared_ptr<PluginLibrary> lib, PluginConfig cfg,
                                                        const std::filesystem::path& data_dir, const Topics& topics,
                                                        shared::Service* shared,
                                                        const boost::asio::any_io_executor& pool);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  [[nodiscard]] const std::string& name() const { return cfg_.name; }
  [[nodiscard]] std::string version() const { return lib_->version(); }
  /** The plugin ABI its library declares, "MAJOR.MINOR". */
  [[nodiscard]] std::string abi() const {
    return std::to_string(lib_->descriptor().abi_major) + "." + std::to_string(lib_->descriptor().abi_minor);
  }
  /** Jobs (taps, commands, timers) waiting for the plugin's strand. */
  [[nodiscard]] size_t queued() {
    std::lock_guard lock(queue_mutex_);
    return queue_.size();
  }
  [[nodiscard]] int budget_ms() const { return cfg_.budget_ms; }
  /** Calls waiting for the strand, at most; more are answered CallReason::busy at once. */
  static constexpr size_t kMaxQueuedJobs = 1024;
  /** Posts a probe through the plugin's strand; last_probe_ns() says when the last one ran. */
  void probe();
  [[nodiscard]] int64_t last_probe_ns() const { return probe_ns_.load(std::memory_order_relaxed); }
  [[nodiscard]] const std::shared_ptr<OutboxStore>& outbox_store() const { return store_; }
  [[nodiscard]] uint64_t taps() const { return taps_.load(); }
  [[nodiscard]] uint64_t errors() const { return errors_.load(); }
  void count_error() { errors_.fetch_add(1); }

  /**
   * Runs on_tap for `tap` on the plugin's strand; `call` (see call_on_tap())
   * arms the deadline when the plugin begins and delivers the one result.
   */
  void dispatch(const Tap& tap, std::string token, BasicInfoRead basic_info, std::shared_ptr<PluginCall> call);
  [[nodiscard]] bool granted(const std::string& permission) const { return cfg_.granted(permission); }

  /** Runs on_command on the plugin's strand, like dispatch(). */
  void dispatch_command(CommandRequest cmd, std::shared_ptr<PluginCall> call);
  [[nodiscard]] bool takes_commands() const { return lib_->on_command() != nullptr; }

  /** Runs on_timer for a timer that came due, like dispatch(). */
  void dispatch_timer(uint64_t timer_id, int64_t now_unix_ms, std::shared_ptr<PluginCall> call);
  /** Removes and returns the armed timers due at `now_unix_ms` (any thread). */
  std::vector<uint64_t> take_due_timers(int64_t now_unix_ms);

 private:
  struct Job {
    std::optional<Tap> tap;            // a tap, or else
    CommandRequest command;            // a command, or else (when timer_id is set)
    std::optional<uint64_t> timer_id;  // a timer
    int64_t timer_now_unix_ms = 0;
    std::string token;
    BasicInfoRead basic_info;  // granted plugins only; dropped (and, by the last holder, wiped) after on_tap
    std::shared_ptr<PluginCall> call;
  };
  void enqueue(Job job);
  void drain();
  PluginResult run_job(Job& job);
  PluginInstance(std::shared_ptr<PluginLibrary> lib, PluginConfig cfg, const std::filesystem::path& db_file,
                 const Topics& topics, shared::Service* shared, const boost::asio::any_io_executor& pool);

  // The host vtable's entries; `ctx` leads back to the instance.
  static void host_log(kazasu_context* ctx, kazasu_log_level level, const char* message);
  static kazasu_status host_publish(kazasu_context* ctx, const char* event, const char* fields_json);
  static kazasu_status host_publish_retained(kazasu_context* ctx, const char* event, const char* fields_json);
  static kazasu_status publish_outcome(kazasu_context* ctx, const char* event, const char* fields_json, bool retained);
  static struct sqlite3* host_database(kazasu_context* ctx);
  static const char* host_config_json(kazasu_context* ctx);
  static int64_t host_now_unix_ms(kazasu_context* ctx);
  static int32_t host_utc_offset_seconds(kazasu_context* ctx);
  static kazasu_status host_reply(kazasu_context* ctx, const char* result_json);
  static kazasu_status host_reply_error(kazasu_context* ctx, const char* code, const char* message);
  static kazasu_status host_set_timer(kazasu_context* ctx, uint64_t timer_id, int64_t due_unix_ms);
  static kazasu_status host_cancel_timer(kazasu_context* ctx, uint64_t timer_id);
  static kazasu_shared_status host_shared_claim(kazasu_context* ctx, const char* key, const char* value,
                                                kazasu_shared_record* holder);
  static kazasu_shared_status host_shared_get(kazasu_context* ctx, const char* key, kazasu_shared_record* record);
  static kazasu_shared_status host_shared_put(kazasu_context* ctx, const char* key, const char* value,
                                              int64_t expected_version, kazasu_shared_record* record);
  static kazasu_shared_status host_shared_append(kazasu_context* ctx, const char* key, const char* entry_id,
                                                 const char* body, int64_t amount);
  static kazasu_shared_status host_shared_entries(kazasu_context* ctx, const char* key, uint32_t limit,
                                                  kazasu_shared_entries* out);
  static int32_t host_broker_encrypted(kazasu_context* ctx);
  void release_claims(const std::vector<std::pair<std::string, std::string>>& claims);
  void fill(kazasu_shared_record& out, const shared::Record& r);
  static const kazasu_host kHost;

  // What the callback running now may publish under, and what it said.
  struct Current {
    std::string id;
    std::string reader;
    int64_t ts_unix_ms = 0;
    StageTimes times;
    bool is_command = false;
    std::vector<Outgoing> published;
    std::optional<std::string> reply_json;
    std::optional<std::pair<std::string, std::string>> reply_error;
    std::vector<std::pair<std::string, std::string>> claims;  // shared claims made (key, claim id)
    int64_t appended = 0;
    // Strings handed to the plugin by shared calls: valid until the callback returns.
    std::deque<std::string> shared_strings;
  };

  std::shared_ptr<PluginLibrary> lib_;
  PluginConfig cfg_;
  std::string settings_json_;
  const Topics& topics_;
  shared::Service* shared_;  // null when the host runs without shared state (unit tests)
  sqlite::Database db_;      // used on the strand only
  std::shared_ptr<OutboxStore> store_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::atomic<int64_t> probe_ns_{0};  // the watchdog's probe through strand_ last ran then
  std::unique_ptr<kazasu_context> ctx_;
  void* instance_ = nullptr;
  Current* current_ = nullptr;  // set during a callback only

  std::mutex timers_mutex_;
  std::map<uint64_t, int64_t> timers_;  // id -> due, on the host's clock

  std::mutex queue_mutex_;
  std::deque<Job> queue_;
  bool drain_scheduled_ = false;
  std::atomic<uint64_t> taps_{0};
  std::atomic<uint64_t> errors_{0};
};

}  // namespace kazasu
