#include "dispatch/plugin_instance.hpp"

#include <boost/asio/post.hpp>
#include <cstring>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/tap_id.hpp"
#include "core/text_checks.hpp"
#include "mqtt/envelope.hpp"
#include "outbox/outbox.hpp"

struct kazasu_context {
  kazasu::PluginInstance* self;
};

namespace kazasu {
namespace {
PluginResult failure(const std::exception& e, const char* what) {
  PluginResult r;
  r.reason = sqlite::is_storage_failure(e) ? CallReason::storage_unavailable : CallReason::plugin_error;
  r.message = std::string(what) + e.what();
  return r;
}
}  // namespace

const kazasu_host PluginInstance::kHost = {
    sizeof(kazasu_host),
    KAZASU_ABI_MAJOR,
    KAZASU_ABI_MINOR,
    &PluginInstance::host_log,
    &PluginInstance::host_publish,
    &PluginInstance::host_database,
    &PluginInstance::host_config_json,
    &PluginInstance::host_now_unix_ms,
    &PluginInstance::host_utc_offset_seconds,
    &PluginInstance::host_reply,
    &PluginInstance::host_reply_error,
    &PluginInstance::host_set_timer,
    &PluginInstance::host_cancel_timer,
    &PluginInstance::host_publish_retained,
};

PluginInstance::PluginInstance(std::shared_ptr<PluginLibrary> lib, PluginConfig cfg,
                               const std::filesystem::path& db_file, const Topics& topics,
                               const boost::asio::any_io_executor& pool)
    : lib_(std::move(lib)),
      cfg_(std::move(cfg)),
      settings_json_(cfg_.settings.dump()),
      topics_(topics),
      db_(db_file, sqlite::Sync::full),
      strand_(boost::asio::make_strand(pool)),
      ctx_(std::make_unique<kazasu_context>(kazasu_context{this})) {
  outbox::ensure_schema(db_);
  store_ = std::make_shared<OutboxStore>(cfg_.name, db_file);
}

Result<std::unique_ptr<PluginInstance>> PluginInstance::create(std::shared_ptr<PluginLibrary> lib, PluginConfig cfg,
                                                               const std::filesystem::path& data_dir,
                                                               const Topics& topics,
                                                               const boost::asio::any_io_executor& pool) {
  std::unique_ptr<PluginInstance> self;
  const std::filesystem::path db_file = data_dir / "plugins" / (cfg.name + ".db");
  try {
    self.reset(new PluginInstance(std::move(lib), std::move(cfg), db_file, topics, pool));
  } catch (const std::exception& e) {
    return Error{"database", "cannot open " + db_file.string() + ": " + e.what()};
  }
  void* instance = nullptr;
  if (self->lib_->descriptor().create(&kHost, self->ctx_.get(), &instance) != KAZASU_OK || instance == nullptr) {
    return Error{"create_failed", "its create() failed (see the plugin's log line above)"};
  }
  self->instance_ = instance;
  return self;
}

PluginInstance::~PluginInstance() {
  if (instance_ != nullptr) lib_->descriptor().destroy(instance_);
}

void PluginInstance::dispatch(const Tap& tap, std::string token, BasicInfoRead basic_info,
                              std::shared_ptr<PluginCall> call) {
  enqueue(Job{tap, {}, std::nullopt, 0, std::move(token), std::move(basic_info), std::move(call)});
}

void PluginInstance::dispatch_command(CommandRequest cmd, std::shared_ptr<PluginCall> call) {
  enqueue(Job{std::nullopt, std::move(cmd), std::nullopt, 0, {}, {}, std::move(call)});
}

void PluginInstance::dispatch_timer(uint64_t timer_id, int64_t now_unix_ms, std::shared_ptr<PluginCall> call) {
  enqueue(Job{std::nullopt, {}, timer_id, now_unix_ms, {}, {}, std::move(call)});
}

std::vector<uint64_t> PluginInstance::take_due_timers(int64_t now_unix_ms) {
  std::vector<uint64_t> due;
  std::lock_guard lock(timers_mutex_);
  for (auto it = timers_.begin(); it != timers_.end();) {
    if (it->second <= now_unix_ms) {
      due.push_back(it->first);
      it = timers_.erase(it);
    } else {
      ++it;
    }
  }
  return due;
}

void PluginInstance::enqueue(Job job) {
  bool schedule = false;
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(std::move(job));
    schedule = !std::exchange(drain_scheduled_, true);
  }
  if (schedule) boost::asio::post(strand_, [this] { drain(); });
}

// Group commit: every job waiting when the strand gets here runs in one
// transaction, each inside its own SAVEPOINT, so a burst of taps costs one
// fsync while a failing tap still rolls back only its own changes.
void PluginInstance::drain() {
  constexpr size_t kMaxBatch = 256;
  std::vector<Job> batch;
  bool more = false;
  {
    std::lock_guard lock(queue_mutex_);
    while (!queue_.empty() && batch.size() < kMaxBatch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    more = drain_scheduled_ = !queue_.empty();
  }
  if (more) boost::asio::post(strand_, [this] { drain(); });
  if (batch.empty()) return;

  std::vector<PluginResult> results(batch.size());
  bool in_transaction = false;
  try {
    db_.exec("BEGIN IMMEDIATE");
    in_transaction = true;
  } catch (const std::exception& e) {
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].call->finish();
      results[i] = failure(e, "cannot begin a transaction: ");
    }
  }
  if (in_transaction) {
    for (size_t i = 0; i < batch.size(); ++i) results[i] = run_job(batch[i]);
    try {
      db_.exec("COMMIT");
      const int64_t committed_ns = clock::monotonic_ns();
      for (auto& r : results) {
        for (auto& o : r.committed) o.times.committed_ns = committed_ns;
      }
    } catch (const std::exception& e) {
      try {
        db_.exec("ROLLBACK");
      } catch (...) {  // the transaction may already be gone
      }
      for (auto& r : results) {
        if (!r.ok()) continue;
        r = failure(e, "commit failed: ");
      }
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].call->complete(std::move(results[i]));
}

PluginResult PluginInstance::run_job(Job& job) {
  job.call->started();
  PluginResult result;
  Current current;
  if (job.tap) {
    taps_.fetch_add(1);
    current.id = job.tap->id;
    current.reader = job.tap->reader;
    current.ts_unix_ms = job.tap->detected_unix_ms;
    current.times = job.tap->times;
  } else if (job.timer_id) {
    current.ts_unix_ms = job.timer_now_unix_ms;
    current.id = new_tap_id(current.ts_unix_ms);
  } else {
    current.id = job.command.id;
    current.ts_unix_ms = clock::now_unix_ms();
    current.is_command = true;
  }
  try {
    db_.exec("SAVEPOINT kazasu_job");
  } catch (const std::exception& e) {
    job.call->finish();
    return failure(e, "cannot open a savepoint: ");
  }

  kazasu_status rc = KAZASU_ERROR;
  current_ = &current;
  if (job.tap) {
    const Tap& tap = *job.tap;
    kazasu_tap ctap{};
    ctap.struct_size = sizeof(kazasu_tap);
    ctap.id = tap.id.c_str();
    ctap.reader = tap.reader.c_str();
    ctap.status = tap.status.c_str();
    ctap.message = tap.message.c_str();
    ctap.card_kind = tap.identity ? tap.identity->kind.c_str() : "";
    ctap.assurance = tap.identity ? tap.identity->assurance.c_str() : "";
    ctap.token = job.token.empty() ? nullptr : job.token.c_str();
    ctap.detected_unix_ms = tap.detected_unix_ms;
    ctap.basic_info_status = job.basic_info.status.c_str();
    ctap.basic_info_message = job.basic_info.message.c_str();
    kazasu_basic_info cinfo{};
    if (const auto& four = job.basic_info.data) {
      cinfo = {sizeof(kazasu_basic_info), four->name.c_str(), four->address.c_str(), four->birth_date.c_str(),
               four->sex.c_str()};
      ctap.basic_info = &cinfo;
    }
    rc = lib_->descriptor().on_tap(instance_, &ctap);
    job.basic_info.data.reset();  // the plugin has had its look; the last holder wipes them
  } else if (job.timer_id) {
    rc = lib_->on_timer()(instance_, *job.timer_id, job.timer_now_unix_ms);
  } else {
    const kazasu_command ccmd{sizeof(kazasu_command), job.command.id.c_str(), job.command.name.c_str(),
                              job.command.payload_json.c_str()};
    rc = lib_->on_command()(instance_, &ccmd);
  }
  current_ = nullptr;
  const int64_t done_ns = clock::monotonic_ns();

  // Keep the changes only if the deadline did not already report this job as failed.
  const bool in_time = job.call->finish();
  const bool ok = rc == KAZASU_OK && in_time && !current.reply_error;
  try {
    db_.exec(ok ? "RELEASE kazasu_job" : "ROLLBACK TO kazasu_job; RELEASE kazasu_job");
  } catch (const std::exception& e) {
    return failure(e, "savepoint failed: ");
  }
  if (ok) {
    for (auto& o : current.published) o.times.plugins_done_ns = done_ns;
    result.reason = CallReason::ok;
    result.committed = std::move(current.published);
    if (current.reply_json) result.reply_json = *current.reply_json;
    return result;
  }
  if (!in_time) {
    result.reason = CallReason::timeout;
    result.message = "the plugin ran past its time budget";
  } else if (current.reply_error) {
    result.reason = CallReason::command_error;
    result.code = current.reply_error->first;
    result.message = current.reply_error->second;
  } else if (sqlite::is_storage_error(sqlite3_extended_errcode(db_.handle()))) {
    // The plugin's own write hit the disk's limits (its last SQLite call failed so).
    result.reason = CallReason::storage_unavailable;
    result.message = std::string("the plugin could not write to its database: ") + sqlite3_errmsg(db_.handle());
  } else {
    result.reason = CallReason::plugin_error;
    result.message = "the plugin reported an error";
  }
  return result;
}

void PluginInstance::host_log(kazasu_context* ctx, kazasu_log_level level, const char* message) {
  int lvl = static_cast<int>(level);
  if (lvl < 3) lvl = 3;
  if (lvl > 7) lvl = 7;
  log::emit(static_cast<log::Level>(lvl), message != nullptr ? message : "", "plugin", ctx->self->cfg_.name);
}

kazasu_status PluginInstance::host_publish(kazasu_context* ctx, const char* event, const char* fields_json) {
  return publish_outcome(ctx, event, fields_json, false);
}

kazasu_status PluginInstance::host_publish_retained(kazasu_context* ctx, const char* event, const char* fields_json) {
  return publish_outcome(ctx, event, fields_json, true);
}

kazasu_status PluginInstance::publish_outcome(kazasu_context* ctx, const char* event, const char* fields_json,
                                              bool retained) {
  PluginInstance& self = *ctx->self;
  if (self.current_ == nullptr) {
    log::warning("publish refused: outside a tap or command", "plugin", self.cfg_.name);
    return KAZASU_NOT_ALLOWED;
  }
  const std::string_view ev = event != nullptr ? std::string_view(event, ::strnlen(event, 65)) : std::string_view();
  if (!text::is_token(ev) || ev == "cmd" || ev == "error") {
    log::warning("publish refused: bad event name", "plugin", self.cfg_.name, "event", ev);
    return KAZASU_INVALID;
  }
  auto fields = nlohmann::json::parse(fields_json != nullptr ? fields_json : "", nullptr, false);
  if (fields.is_discarded() || !fields.is_object()) {
    log::warning("publish refused: fields are not a JSON object", "plugin", self.cfg_.name, "event", event);
    return KAZASU_INVALID;
  }
  for (const auto& [k, v] : fields.items()) {
    if (is_reserved_field(k)) {
      log::warning("publish refused: reserved field", "plugin", self.cfg_.name, "event", event, "field", k);
      return KAZASU_INVALID;
    }
  }
  Current& cur = *self.current_;
  const std::string topic = self.topics_.outcome(self.cfg_.name, event);
  const std::string payload =
      make_payload(self.topics_, self.cfg_.name, event, cur.id, cur.ts_unix_ms, cur.reader, fields);
  try {
    const int64_t seq = outbox::append(self.db_, cur.id, topic, payload, clock::now_unix_ms(), retained);
    cur.published.push_back(Outgoing{self.store_, seq, cur.id, topic, payload, cur.times, retained});
  } catch (const std::exception& e) {
    log::error("outbox append failed", "plugin", self.cfg_.name, "error", e.what());
    return KAZASU_ERROR;
  }
  return KAZASU_OK;
}

struct sqlite3* PluginInstance::host_database(kazasu_context* ctx) {
  return ctx->self->db_.handle();
}

const char* PluginInstance::host_config_json(kazasu_context* ctx) {
  return ctx->self->settings_json_.c_str();
}

int64_t PluginInstance::host_now_unix_ms(kazasu_context*) {
  return clock::now_unix_ms();
}

int32_t PluginInstance::host_utc_offset_seconds(kazasu_context*) {
  return clock::utc_offset_seconds(clock::now_unix_ms());
}

kazasu_status PluginInstance::host_set_timer(kazasu_context* ctx, uint64_t timer_id, int64_t due_unix_ms) {
  PluginInstance& self = *ctx->self;
  if (self.lib_->on_timer() == nullptr) {
    log::warning("set_timer refused: the plugin has no on_timer", "plugin", self.cfg_.name);
    return KAZASU_NOT_ALLOWED;
  }
  std::lock_guard lock(self.timers_mutex_);
  self.timers_[timer_id] = due_unix_ms;
  return KAZASU_OK;
}

kazasu_status PluginInstance::host_cancel_timer(kazasu_context* ctx, uint64_t timer_id) {
  PluginInstance& self = *ctx->self;
  std::lock_guard lock(self.timers_mutex_);
  self.timers_.erase(timer_id);
  return KAZASU_OK;
}

kazasu_status PluginInstance::host_reply(kazasu_context* ctx, const char* result_json) {
  PluginInstance& self = *ctx->self;
  if (self.current_ == nullptr || !self.current_->is_command) return KAZASU_NOT_ALLOWED;
  auto result = nlohmann::json::parse(result_json != nullptr ? result_json : "", nullptr, false);
  if (result.is_discarded() || !result.is_object()) {
    log::warning("reply refused: not a JSON object", "plugin", self.cfg_.name);
    self.current_->reply_error = {"plugin_error", "the plugin's reply is not a JSON object"};
    return KAZASU_INVALID;
  }
  self.current_->reply_json = result.dump();
  return KAZASU_OK;
}

kazasu_status PluginInstance::host_reply_error(kazasu_context* ctx, const char* code, const char* message) {
  PluginInstance& self = *ctx->self;
  if (self.current_ == nullptr || !self.current_->is_command) return KAZASU_NOT_ALLOWED;
  const std::string_view cv = code != nullptr ? std::string_view(code, ::strnlen(code, 65)) : std::string_view();
  const std::string c = text::is_token(cv) ? std::string(cv) : "plugin_error";
  self.current_->reply_error = {c, message != nullptr ? message : ""};
  return KAZASU_OK;
}

}  // namespace kazasu
