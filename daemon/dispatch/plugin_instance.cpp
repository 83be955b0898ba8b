#include "dispatch/plugin_instance.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstring>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/tap_id.hpp"
#include "core/text_checks.hpp"
#include "dispatch/crash_log.hpp"
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
    &PluginInstance::host_shared_claim,
    &PluginInstance::host_shared_get,
    &PluginInstance::host_shared_put,
    &PluginInstance::host_shared_append,
    &PluginInstance::host_shared_entries,
    &PluginInstance::host_broker_encrypted,
};

PluginInstance::PluginInstance(std::shared_ptr<PluginLibrary> lib, PluginConfig cfg,
                               const std::filesystem::path& db_file, const Topics& topics, shared::Service* shared,
                               const boost::asio::any_io_executor& pool)
    : lib_(std::move(lib)),
      cfg_(std::move(cfg)),
      settings_json_(cfg_.settings.dump()),
      topics_(topics),
      shared_(shared),
      db_(db_file, sqlite::Sync::full),
      strand_(boost::asio::make_strand(pool)),
      ctx_(std::make_unique<kazasu_context>(kazasu_context{this})) {
  outbox::ensure_schema(db_);
  store_ = std::make_shared<OutboxStore>(cfg_.name, db_file);
  if (shared_ != nullptr) {
    shared::ensure_local_schema(db_);
    shared_->attach(cfg_.name, db_file);
  }
}

Result<std::unique_ptr<PluginInstance>> PluginInstance::create(std::shared_ptr<PluginLibrary> lib, PluginConfig cfg,
                                                               const std::filesystem::path& data_dir,
                                                               const Topics& topics, shared::Service* shared,
                                                               const boost::asio::any_io_executor& pool) {
  std::unique_ptr<PluginInstance> self;
  const std::filesystem::path db_file = data_dir / "plugins" / (cfg.name + ".db");
  try {
    self.reset(new PluginInstance(std::move(lib), std::move(cfg), db_file, topics, shared, pool));
  } catch (const std::exception& e) {
    return Error{"database", "cannot open " + db_file.string() + ": " + e.what()};
  }
  void* instance = nullptr;
  kazasu_status created = KAZASU_ERROR;
  {
    const crash::Scope in_plugin(self->cfg_.name.c_str());
    created = self->lib_->descriptor().create(&kHost, self->ctx_.get(), &instance);
  }
  if (created != KAZASU_OK || instance == nullptr) {
    return Error{"create_failed", "its create() failed (see the plugin's log line above)"};
  }
  self->instance_ = instance;
  return self;
}

PluginInstance::~PluginInstance() {
  if (instance_ != nullptr) {
    const crash::Scope in_plugin(cfg_.name.c_str());
    lib_->descriptor().destroy(instance_);
  }
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
    if (queue_.size() >= kMaxQueuedJobs) {
      // A plugin this far behind is stuck; queueing more would only grow
      // memory. The call is answered now (a tap gets a durable `busy` error
      // outcome, a command a `busy` reply), so nothing is lost silently.
      log::warning("plugin job queue full: call answered busy", "plugin", cfg_.name, "queued", queue_.size());
      if (job.call->finish()) {
        PluginResult r;
        r.reason = CallReason::busy;
        r.message = "the plugin has " + std::to_string(queue_.size()) + " calls waiting; try again later";
        job.call->complete(std::move(r));
      }
      return;
    }
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
    db_.run("BEGIN IMMEDIATE");
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
      db_.run("COMMIT");
      const int64_t committed_ns = clock::monotonic_ns();
      for (auto& r : results) {
        for (auto& o : r.committed) o.times.committed_ns = committed_ns;
      }
    } catch (const std::exception& e) {
      try {
        db_.run("ROLLBACK");
      } catch (...) {  // the transaction may already be gone
      }
      for (auto& r : results) {
        if (!r.ok()) continue;
        release_claims(r.shared_claims);  // their tap is not recorded, so neither are they
        r = failure(e, "commit failed: ");
      }
    }
  }
  if (shared_ != nullptr) {
    int64_t appended = 0;
    for (const auto& r : results) appended += r.ok() ? r.shared_appended : 0;
    if (appended > 0) shared_->nudge(appended);
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].call->complete(std::move(results[i]));
}

void PluginInstance::release_claims(const std::vector<std::pair<std::string, std::string>>& claims) {
  if (shared_ == nullptr) return;
  for (const auto& [key, claim_id] : claims) {
    // Unavailable: the engine keeps it to release later, or the next start's reconciling does.
    shared_->engine().release(cfg_.name, key, claim_id);
  }
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
    db_.run("SAVEPOINT kazasu_job");
  } catch (const std::exception& e) {
    job.call->finish();
    return failure(e, "cannot open a savepoint: ");
  }

  kazasu_status rc = KAZASU_ERROR;
  current_ = &current;
  const crash::Scope in_plugin(cfg_.name.c_str());
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
    if (!ok) db_.run("ROLLBACK TO kazasu_job");
    db_.run("RELEASE kazasu_job");
  } catch (const std::exception& e) {
    release_claims(current.claims);
    return failure(e, "savepoint failed: ");
  }
  if (ok) {
    for (auto& o : current.published) o.times.plugins_done_ns = done_ns;
    result.reason = CallReason::ok;
    result.committed = std::move(current.published);
    if (current.reply_json) result.reply_json = *current.reply_json;
    result.shared_claims = std::move(current.claims);
    result.shared_appended = current.appended;
    return result;
  }
  release_claims(current.claims);
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

// ---- shared state (ABI 1.3) ----------------------------------------------------------

namespace {
kazasu_shared_status to_c(shared::Status s) {
  switch (s) {
    case shared::Status::ok:
      return KAZASU_SHARED_OK;
    case shared::Status::exists:
      return KAZASU_SHARED_EXISTS;
    case shared::Status::conflict:
      return KAZASU_SHARED_CONFLICT;
    case shared::Status::not_found:
      return KAZASU_SHARED_NOT_FOUND;
    case shared::Status::unavailable:
      return KAZASU_SHARED_UNAVAILABLE;
    case shared::Status::invalid:
      return KAZASU_SHARED_INVALID;
  }
  return KAZASU_SHARED_INVALID;
}

// A C string from a plugin, bounded: at most `max` bytes are looked at.
std::optional<std::string_view> bounded(const char* s, size_t max) {
  if (s == nullptr) return std::nullopt;
  const size_t n = ::strnlen(s, max + 1);
  if (n > max) return std::nullopt;
  return std::string_view(s, n);
}
}  // namespace

kazasu_shared_status PluginInstance::host_shared_claim(kazasu_context* ctx, const char* key, const char* value,
                                                       kazasu_shared_record* holder) {
  PluginInstance& self = *ctx->self;
  if (self.current_ == nullptr || self.shared_ == nullptr) return KAZASU_SHARED_NOT_ALLOWED;
  const auto k = bounded(key, shared::kMaxKeyBytes);
  const auto v = bounded(value, shared::kMaxValueBytes);
  if (!k || !v || shared::check_key(*k) || shared::check_value(*v)) return KAZASU_SHARED_INVALID;
  Current& cur = *self.current_;
  // Remembered locally first, in the callback's transaction: a crash after the
  // engine took the claim but before this commit is found at the next start.
  const std::string claim_id = cur.id;
  const auto r = self.shared_->engine().claim(self.cfg_.name, *k, *v, claim_id,
                                              shared::Writer{self.shared_->station(), clock::now_unix_ms()});
  if (r.status == shared::Status::ok) {
    try {
      self.db_.cached("INSERT OR REPLACE INTO kazasu_shared_claims (key, claim_id) VALUES (?, ?)")
          .bind(1, *k)
          .bind(2, claim_id)
          .run();
    } catch (const std::exception& e) {
      // Without the local row the claim could not be told apart from a crash's: give it back.
      self.shared_->engine().release(self.cfg_.name, *k, claim_id);
      log::error("shared claim given back: it could not be recorded locally", "plugin", self.cfg_.name, "error",
                 e.what());
      return KAZASU_SHARED_UNAVAILABLE;
    }
    cur.claims.emplace_back(std::string(*k), claim_id);
  } else if (r.status == shared::Status::unavailable) {
    log::warning("shared claim unavailable", "plugin", self.cfg_.name, "engine", self.shared_->engine().name(),
                 "detail", r.detail);
  }
  if (holder != nullptr && (r.status == shared::Status::ok || r.status == shared::Status::exists)) {
    self.fill(*holder, r.record);
  }
  return to_c(r.status);
}

void PluginInstance::fill(kazasu_shared_record& out, const shared::Record& r) {
  // Only the fields the plugin's struct has room for.
  auto& strings = current_->shared_strings;
  kazasu_shared_record full{};
  full.struct_size = out.struct_size;
  full.value = strings.emplace_back(r.value).c_str();
  full.version = r.version;
  full.station = strings.emplace_back(r.station).c_str();
  full.at_unix_ms = r.at_unix_ms;
  const size_t n = std::min<size_t>(out.struct_size, sizeof full);
  if (n > sizeof out.struct_size) {
    std::memcpy(reinterpret_cast<unsigned char*>(&out) + sizeof out.struct_size,
                reinterpret_cast<const unsigned char*>(&full) + sizeof full.struct_size, n - sizeof out.struct_size);
  }
}

kazasu_shared_status PluginInstance::host_shared_get(kazasu_context* ctx, const char* key,
                                                     kazasu_shared_record* record) {
  PluginInstance& self = *ctx->self;
  if (self.current_ == nullptr || self.shared_ == nullptr) return KAZASU_SHARED_NOT_ALLOWED;
  const auto k = bounded(key, shared::kMaxKeyBytes);
  if (!k || shared::check_key(*k)) return KAZASU_SHARED_INVALID;
  const auto r = self.shared_->engine().get(self.cfg_.name, *k);
  if (r.status == shared::Status::ok && record != nullptr) self.fill(*record, r.record);
  return to_c(r.status);
}

kazasu_shared_status PluginInstance::host_shared_put(kazasu_context* ctx, const char* key, const char* value,
                                                     int64_t expected_version, kazasu_shared_record* record) {
  PluginInstance& self = *ctx->self;
  if (self.current_ == nullptr || self.shared_ == nullptr) return KAZASU_SHARED_NOT_ALLOWED;
  const auto k = bounded(key, shared::kMaxKeyBytes);
  if (!k || shared::check_key(*k) || expected_version < -1) return KAZASU_SHARED_INVALID;
  std::optional<std::string_view> v;
  if (value != nullptr) {
    v = bounded(value, shared::kMaxValueBytes);
    if (!v || shared::check_value(*v)) return KAZASU_SHARED_INVALID;
  }
  const auto r = self.shared_->engine().put(self.cfg_.name, *k, v, expected_version,
                                            shared::Writer{self.shared_->station(), clock::now_unix_ms()});
  if ((r.status == shared::Status::ok || r.status == shared::Status::conflict) && record != nullptr) {
    self.fill(*record, r.record);
  }
  return to_c(r.status);
}

kazasu_shared_status PluginInstance::host_shared_append(kazasu_context* ctx, const char* key, const char* entry_id,
                                                        const char* body, int64_t amount) {
  PluginInstance& self = *ctx->self;
  if (self.current_ == nullptr || self.shared_ == nullptr) return KAZASU_SHARED_NOT_ALLOWED;
  const auto k = bounded(key, shared::kMaxKeyBytes);
  const auto id = bounded(entry_id, shared::kMaxEntryIdBytes);
  const auto b = bounded(body != nullptr ? body : "", shared::kMaxValueBytes);
  if (!k || !id || !b || shared::check_key(*k) || shared::check_entry_id(*id) || shared::check_value(*b)) {
    return KAZASU_SHARED_INVALID;
  }
  try {
    // A repeat of an id already queued here is a no-op, as on the engine.
    self.db_
        .cached(
            "INSERT INTO kazasu_shared_queue (key, entry_id, body, amount, at_ms) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (key, entry_id) DO NOTHING")
        .bind(1, *k)
        .bind(2, *id)
        .bind(3, *b)
        .bind(4, amount)
        .bind(5, clock::now_unix_ms())
        .run();
  } catch (const std::exception& e) {
    log::error("shared append not recorded", "plugin", self.cfg_.name, "error", e.what());
    return KAZASU_SHARED_UNAVAILABLE;
  }
  self.current_->appended += sqlite3_changes(self.db_.handle());  // 0 for a repeat of a queued id
  return KAZASU_SHARED_OK;
}

kazasu_shared_status PluginInstance::host_shared_entries(kazasu_context* ctx, const char* key, uint32_t limit,
                                                         kazasu_shared_entries* out) {
  PluginInstance& self = *ctx->self;
  if (self.current_ == nullptr || self.shared_ == nullptr) return KAZASU_SHARED_NOT_ALLOWED;
  const auto k = bounded(key, shared::kMaxKeyBytes);
  if (!k || shared::check_key(*k) || out == nullptr) return KAZASU_SHARED_INVALID;
  const auto e = self.shared_->entries(self.cfg_.name, self.db_, *k, std::min<size_t>(limit, shared::kMaxEntries));
  if (e.status != shared::Status::ok) return to_c(e.status);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& x : e.entries) {
    list.push_back({{"id", x.entry_id},
                    {"body", x.body},
                    {"amount", x.amount},
                    {"station", x.station},
                    {"at_unix_ms", x.at_unix_ms},
                    {"pending", x.pending}});
  }
  kazasu_shared_entries full{};
  full.struct_size = out->struct_size;
  full.entries_json = self.current_->shared_strings.emplace_back(list.dump()).c_str();
  full.sum = e.sum;
  full.count = e.count;
  const size_t n = std::min<size_t>(out->struct_size, sizeof full);
  if (n > sizeof out->struct_size) {
    std::memcpy(reinterpret_cast<unsigned char*>(out) + sizeof out->struct_size,
                reinterpret_cast<const unsigned char*>(&full) + sizeof full.struct_size, n - sizeof out->struct_size);
  }
  return KAZASU_SHARED_OK;
}

int32_t PluginInstance::host_broker_encrypted(kazasu_context* ctx) {
  return ctx->self->cfg_.broker_encrypted ? 1 : 0;
}

void PluginInstance::probe() {
  boost::asio::post(strand_, [this] { probe_ns_.store(clock::monotonic_ns(), std::memory_order_relaxed); });
}

}  // namespace kazasu
