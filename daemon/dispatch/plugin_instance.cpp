#include "dispatch/plugin_instance.hpp"

#include <boost/asio/post.hpp>
#include <regex>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "mqtt/envelope.hpp"
#include "outbox/outbox.hpp"

struct kazasu_context {
  kazasu::PluginInstance* self;
};

namespace kazasu {

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

void PluginInstance::dispatch(const Tap& tap, std::string token, const std::shared_ptr<TapRun>& run,
                              boost::asio::io_context& io, std::function<void()> started,
                              std::function<void(PluginResult)> done) {
  boost::asio::post(strand_, [this, tap, token = std::move(token), run, &io, started = std::move(started),
                              done = std::move(done)]() mutable {
    boost::asio::post(io, std::move(started));
    PluginResult result = run_tap(tap, token, *run);
    boost::asio::post(io, [result = std::move(result), done = std::move(done)]() mutable { done(std::move(result)); });
  });
}

PluginResult PluginInstance::run_tap(const Tap& tap, const std::string& token, TapRun& run) {
  taps_.fetch_add(1);
  PluginResult result;
  CurrentTap current{&tap, {}};
  kazasu_tap ctap{};
  ctap.struct_size = sizeof(kazasu_tap);
  ctap.id = tap.id.c_str();
  ctap.reader = tap.reader.c_str();
  ctap.status = tap.status.c_str();
  ctap.message = tap.message.c_str();
  ctap.card_kind = tap.identity ? tap.identity->kind.c_str() : "";
  ctap.assurance = tap.identity ? tap.identity->assurance.c_str() : "";
  ctap.token = token.empty() ? nullptr : token.c_str();
  ctap.detected_unix_ms = tap.detected_unix_ms;

  kazasu_status rc = KAZASU_ERROR;
  try {
    db_.exec("BEGIN IMMEDIATE");
  } catch (const std::exception& e) {
    result.reason = "plugin_error";
    result.message = std::string("cannot begin a transaction: ") + e.what();
    run.claim(TapRun::finished);
    return result;
  }
  current_ = &current;
  rc = lib_->descriptor().on_tap(instance_, &ctap);
  current_ = nullptr;
  const int64_t done_ns = clock::monotonic_ns();

  // Commit only if the deadline did not already report this tap as failed.
  const bool in_time = run.claim(TapRun::finished);
  try {
    if (rc == KAZASU_OK && in_time) {
      db_.exec("COMMIT");
      const int64_t committed_ns = clock::monotonic_ns();
      for (auto& o : current.published) {
        o.times.plugins_done_ns = done_ns;
        o.times.committed_ns = committed_ns;
      }
      result.ok = true;
      result.committed = std::move(current.published);
      return result;
    }
    db_.exec("ROLLBACK");
  } catch (const std::exception& e) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {  // the transaction may already be gone
    }
    result.reason = "plugin_error";
    result.message = std::string("commit failed: ") + e.what();
    return result;
  }
  result.reason = in_time ? "plugin_error" : "timeout";
  result.message = in_time ? "the plugin reported an error" : "the plugin ran past its time budget";
  return result;
}

void PluginInstance::host_log(kazasu_context* ctx, kazasu_log_level level, const char* message) {
  int lvl = static_cast<int>(level);
  if (lvl < 3) lvl = 3;
  if (lvl > 7) lvl = 7;
  log::emit(static_cast<log::Level>(lvl), message != nullptr ? message : "", "plugin", ctx->self->cfg_.name);
}

kazasu_status PluginInstance::host_publish(kazasu_context* ctx, const char* event, const char* fields_json) {
  PluginInstance& self = *ctx->self;
  if (self.current_ == nullptr) {
    log::warning("publish refused: outside a tap", "plugin", self.cfg_.name);
    return KAZASU_NOT_ALLOWED;
  }
  static const std::regex kEvent("^[a-z0-9_]{1,64}$");
  if (event == nullptr || !std::regex_match(event, kEvent) || std::string_view(event) == "cmd" ||
      std::string_view(event) == "error") {
    log::warning("publish refused: bad event name", "plugin", self.cfg_.name, "event", event != nullptr ? event : "");
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
  const Tap& tap = *self.current_->tap;
  const std::string topic = self.topics_.outcome(self.cfg_.name, event);
  const std::string payload =
      make_payload(self.topics_, self.cfg_.name, event, tap.id, tap.detected_unix_ms, tap.reader, fields);
  try {
    const int64_t seq = outbox::append(self.db_, tap.id, topic, payload, clock::now_unix_ms());
    self.current_->published.push_back(Outgoing{self.store_, seq, tap.id, topic, payload, tap.times});
  } catch (const std::exception& e) {
    log::error("outbox append failed", "plugin", self.cfg_.name, "error", e.what());
    return KAZASU_ERROR;
  }
  return KAZASU_OK;
}

struct sqlite3* PluginInstance::host_database(kazasu_context* ctx) { return ctx->self->db_.handle(); }

const char* PluginInstance::host_config_json(kazasu_context* ctx) { return ctx->self->settings_json_.c_str(); }

int64_t PluginInstance::host_now_unix_ms(kazasu_context*) { return clock::now_unix_ms(); }

int32_t PluginInstance::host_utc_offset_seconds(kazasu_context*) {
  return clock::utc_offset_seconds(clock::now_unix_ms());
}

}  // namespace kazasu
