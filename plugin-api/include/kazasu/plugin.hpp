// kazasu C++ plugin SDK: a header-only layer over the C ABI in plugin.h.
//
// A plugin is a class deriving from kazasu::Plugin, constructed with a
// kazasu::Host, plus one KAZASU_PLUGIN(...) line. The SDK turns exceptions into
// KAZASU_ERROR at the boundary, so a throwing plugin produces an `error`
// outcome for the tap and never unwinds into the daemon.
//
//   class Hello : public kazasu::Plugin {
//    public:
//     static constexpr kazasu_setting kSettings[] = {
//         {"greeting", KAZASU_SETTING_STRING, "\"hello\"", "Text sent with every tap.", 0, 0}};
//     explicit Hello(kazasu::Host host) : Plugin(host) {}
//     void on_tap(const kazasu::Tap& tap) override { publish("seen", R"({"n":1})"); }
//   };
//   KAZASU_PLUGIN(Hello, "hello", "1.0.0", "Says hello to every card.")
#ifndef KAZASU_PLUGIN_HPP
#define KAZASU_PLUGIN_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "kazasu/plugin.h"

namespace kazasu {

/**
 * The card's basic four, for a plugin granted `card.basic_info`; views are
 * valid during on_tap only. Match and forget: never store, log or publish them.
 */
struct BasicInfo {
  std::string_view name;  // family and given names separated by U+3000
  std::string_view address;
  std::string_view birth_date;  // YYYYMMDD
  std::string_view sex;         // ISO 5218: "1", "2", "9", "0"
};

/** A tap as the C++ SDK presents it; views are valid during on_tap only. */
struct Tap {
  std::string_view id;
  std::string_view reader;
  std::string_view status;
  std::string_view message;
  std::string_view card_kind;
  std::string_view assurance;
  std::string_view token;  // empty unless identified()
  int64_t detected_unix_ms = 0;
  std::string_view basic_info_status;   // "" unless granted card.basic_info (plugin.h lists the values)
  std::string_view basic_info_message;  // staff-readable
  std::optional<BasicInfo> basic_info;  // set when basic_info_status is "read"

  /** True when the card was identified and `token` is set. */
  [[nodiscard]] bool identified() const { return status == "ok" && !token.empty(); }
};

/** A command from a facility PC; views are valid during on_command only. */
struct Command {
  std::string_view id;
  std::string_view name;
  std::string_view payload_json;
};

/** Throw from on_command to refuse it with a code and a staff-readable message. */
class CommandError : public std::runtime_error {
 public:
  CommandError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  [[nodiscard]] const std::string& code() const { return code_; }

 private:
  std::string code_;
};

/** A settings problem found by a plugin's `static std::optional<SettingError> check_settings(json)`. */
struct SettingError {
  std::string key;  // the setting's name, or "" for the whole table
  std::string message;

  /** From a sentence written "key: what is wrong" (the key is "" when there is no ": "). */
  static SettingError from_sentence(const std::string& sentence) {
    const auto colon = sentence.find(": ");
    if (colon == std::string::npos) return SettingError{"", sentence};
    return SettingError{sentence.substr(0, colon), sentence.substr(colon + 2)};
  }
};

/** Thrown by Plugin helpers when the host refuses a call. */
class HostError : public std::runtime_error {
 public:
  HostError(const std::string& what, kazasu_status status) : std::runtime_error(what), status_(status) {}
  [[nodiscard]] kazasu_status status() const { return status_; }

 private:
  kazasu_status status_;
};

/** A shared record (ABI 1.3), copied out of the host's strings. */
struct SharedRecord {
  std::string value;
  int64_t version = 0;
  std::string station;  // "site/station" that wrote it
  int64_t at_unix_ms = 0;
};

/** What a shared-state call answered; `record` is set where plugin.h says it is. */
struct SharedResult {
  kazasu_shared_status status = KAZASU_SHARED_UNAVAILABLE;
  SharedRecord record;
  [[nodiscard]] bool ok() const { return status == KAZASU_SHARED_OK; }
};

/** A key's entries (ABI 1.3): `entries_json` is a JSON array, newest first (see plugin.h). */
struct SharedEntries {
  kazasu_shared_status status = KAZASU_SHARED_UNAVAILABLE;
  std::string entries_json = "[]";
  int64_t sum = 0;
  int64_t count = 0;
};

/**
 * The host services handed to a plugin instance. Cheap to copy. Entries a
 * host may lack (appended after the first ones) are checked against the
 * host's struct_size before they are called; a refusal is never dropped:
 * the helpers throw HostError, or return the status where the caller decides.
 */
class Host {
 public:
  Host(const kazasu_host* host, kazasu_context* ctx) : host_(host), ctx_(ctx) {}

  void log(kazasu_log_level level, const std::string& message) const { host_->log(ctx_, level, message.c_str()); }
  /** Publishes `{plugin}/{event}` with the given JSON object of fields; throws HostError. */
  void publish(const std::string& event, const std::string& fields_json) const {
    const kazasu_status st = host_->publish(ctx_, event.c_str(), fields_json.c_str());
    if (st != KAZASU_OK) throw HostError("publish of event '" + event + "' refused", st);
  }
  /** Publishes `{plugin}/{event}` retained: the topic's current state. Throws HostError. */
  void publish_retained(const std::string& event, const std::string& fields_json) const {
    const kazasu_status st =
        call<&kazasu_host::publish_retained>("publish_retained", event.c_str(), fields_json.c_str());
    if (st != KAZASU_OK) throw HostError("publish of retained event '" + event + "' refused", st);
  }
  /** The plugin's database: valid from create until destroy; owned by the host (never close it). */
  [[nodiscard]] struct sqlite3* database() const { return host_->database(ctx_); }
  [[nodiscard]] std::string config_json() const { return host_->config_json(ctx_); }
  [[nodiscard]] int64_t now_unix_ms() const { return host_->now_unix_ms(ctx_); }
  [[nodiscard]] int32_t utc_offset_seconds() const { return host_->utc_offset_seconds(ctx_); }
  /** Arms one-shot timer `id` for `due_unix_ms` on the host's clock (see plugin.h); throws HostError. */
  void set_timer(uint64_t id, int64_t due_unix_ms) const {
    const kazasu_status st = call<&kazasu_host::set_timer>("set_timer", id, due_unix_ms);
    if (st != KAZASU_OK) throw HostError("set_timer " + std::to_string(id) + " refused", st);
  }
  /** Disarms timer `id`; throws HostError if the host refuses. */
  void cancel_timer(uint64_t id) const {
    const kazasu_status st = call<&kazasu_host::cancel_timer>("cancel_timer", id);
    if (st != KAZASU_OK) throw HostError("cancel_timer " + std::to_string(id) + " refused", st);
  }
  /** Inside on_command: the reply's result. The status says whether the host took it. */
  [[nodiscard]] kazasu_status reply(const std::string& result_json) const {
    return call<&kazasu_host::reply>("reply", result_json.c_str());
  }
  /** Inside on_command: a refusal with a code and a sentence. The status says whether the host took it. */
  [[nodiscard]] kazasu_status reply_error(const std::string& code, const std::string& message) const {
    return call<&kazasu_host::reply_error>("reply_error", code.c_str(), message.c_str());
  }
  /** Claims `key` for `value` across every station (plugin.h: shared_claim). */
  [[nodiscard]] SharedResult claim(const std::string& key, const std::string& value) const {
    return record_call<&kazasu_host::shared_claim>("shared_claim", key.c_str(), value.c_str());
  }
  /** Reads `key` (plugin.h: shared_get). */
  [[nodiscard]] SharedResult get(const std::string& key) const {
    return record_call<&kazasu_host::shared_get>("shared_get", key.c_str());
  }
  /**
   * Sets `key` to `value`, or deletes it when `value` is nullopt, if its
   * version is `expected_version` (-1: whatever it is; 0: only when absent).
   */
  [[nodiscard]] SharedResult put(const std::string& key, const std::optional<std::string>& value,
                                 int64_t expected_version = -1) const {
    return record_call<&kazasu_host::shared_put>("shared_put", key.c_str(), value ? value->c_str() : nullptr,
                                                 expected_version);
  }
  /** Adds an entry once per id, in this callback's transaction (plugin.h: shared_append). */
  [[nodiscard]] kazasu_shared_status append(const std::string& key, const std::string& entry_id,
                                            const std::string& body, int64_t amount) const {
    if (!offers<&kazasu_host::shared_append>()) return missing_shared("shared_append");
    return host_->shared_append(ctx_, key.c_str(), entry_id.c_str(), body.c_str(), amount);
  }
  /** The newest `limit` entries of `key` with the sum and count of all (plugin.h: shared_entries). */
  /** True when the broker link is encrypted (ABI 1.4); false on an older host, which cannot say. */
  [[nodiscard]] bool broker_encrypted() const {
    if (!offers<&kazasu_host::broker_encrypted>()) return false;
    return host_->broker_encrypted(ctx_) != 0;
  }
  [[nodiscard]] SharedEntries entries(const std::string& key, uint32_t limit = 20) const {
    SharedEntries out;
    if (!offers<&kazasu_host::shared_entries>()) {
      out.status = missing_shared("shared_entries");
      return out;
    }
    kazasu_shared_entries e{};
    e.struct_size = sizeof e;
    out.status = host_->shared_entries(ctx_, key.c_str(), limit, &e);
    if (out.status == KAZASU_SHARED_OK) {
      if (e.entries_json != nullptr) out.entries_json = e.entries_json;
      out.sum = e.sum;
      out.count = e.count;
    }
    return out;
  }

  /** Whether this host's vtable has the entry `Member` (it may predate it). */
  template <auto Member>
  [[nodiscard]] bool offers() const {
    const auto* base = reinterpret_cast<const unsigned char*>(host_);
    const auto* field = reinterpret_cast<const unsigned char*>(&(host_->*Member));
    return host_->struct_size >= static_cast<size_t>(field - base) + sizeof(host_->*Member) &&
           host_->*Member != nullptr;
  }

 private:
  template <auto Member, class... Args>
  kazasu_status call(const char* name, Args... args) const {
    if (!offers<Member>()) {
      log(KAZASU_LOG_ERROR, std::string("this kazasud has no host entry ") + name + "; upgrade kazasud");
      return KAZASU_NOT_ALLOWED;
    }
    return (host_->*Member)(ctx_, args...);
  }

  kazasu_shared_status missing_shared(const char* name) const {
    log(KAZASU_LOG_ERROR, std::string("this kazasud has no host entry ") + name + " (shared state needs ABI 1.3)");
    return KAZASU_SHARED_NOT_ALLOWED;
  }
  template <auto Member, class... Args>
  SharedResult record_call(const char* name, Args... args) const {
    SharedResult out;
    if (!offers<Member>()) {
      out.status = missing_shared(name);
      return out;
    }
    kazasu_shared_record r{};
    r.struct_size = sizeof r;
    out.status = (host_->*Member)(ctx_, args..., &r);
    if (r.value != nullptr) out.record.value = r.value;
    out.record.version = r.version;
    if (r.station != nullptr) out.record.station = r.station;
    out.record.at_unix_ms = r.at_unix_ms;
    return out;
  }

  const kazasu_host* host_;
  kazasu_context* ctx_;
};

/** Base class of a C++ plugin. */
class Plugin {
 public:
  explicit Plugin(Host host) : host_(host) {}
  virtual ~Plugin() = default;
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  /** Handles one tap. Throw to roll back and report an `error` outcome. */
  virtual void on_tap(const Tap& tap) = 0;

  /**
   * Handles a command and returns the reply's `result` (a JSON object as
   * text). Throw CommandError to refuse it; the default knows no command.
   */
  virtual std::string on_command(const Command& command) {
    throw CommandError("unknown_command", "plugin has no command \"" + std::string(command.name) + "\"");
  }

  /** A timer armed with host().set_timer is due. Throw to roll back its changes. */
  virtual void on_timer(uint64_t /*timer_id*/, int64_t /*now_unix_ms*/) {}

  [[nodiscard]] const Host& host() const { return host_; }

 protected:
  void log(kazasu_log_level level, const std::string& message) const { host_.log(level, message); }
  void publish(const std::string& event, const std::string& fields_json) const { host_.publish(event, fields_json); }

 private:
  Host host_;
};

namespace detail {

inline std::string_view view(const char* s) {
  return s != nullptr ? std::string_view(s) : std::string_view();
}

template <class T>
std::span<const kazasu_setting> settings_of() {
  if constexpr (requires { T::kSettings; }) {
    return std::span<const kazasu_setting>(T::kSettings);
  } else {
    return {};
  }
}

// Every entry point is noexcept and catches everything: unwinding into the host
// is undefined behaviour across a C boundary.
template <class T>
struct Adapter {
  static kazasu_status create(const kazasu_host* host, kazasu_context* ctx, void** instance) noexcept {
    try {
      *instance = std::make_unique<T>(Host(host, ctx)).release();
      return KAZASU_OK;
    } catch (const std::exception& e) {
      host->log(ctx, KAZASU_LOG_ERROR, (std::string("plugin create failed: ") + e.what()).c_str());
    } catch (...) {
      host->log(ctx, KAZASU_LOG_ERROR, "plugin create failed: unknown exception");
    }
    return KAZASU_ERROR;
  }

  static void destroy(void* instance) noexcept {
    // Ownership came back from create() as a raw pointer across the C ABI.
    std::unique_ptr<T> owned(static_cast<T*>(instance));
  }

  static kazasu_status on_tap(void* instance, const kazasu_tap* tap) noexcept {
    auto* self = static_cast<T*>(instance);
    try {
      Tap t;
      t.id = view(tap->id);
      t.reader = view(tap->reader);
      t.status = view(tap->status);
      t.message = view(tap->message);
      t.card_kind = view(tap->card_kind);
      t.assurance = view(tap->assurance);
      t.token = view(tap->token);
      t.detected_unix_ms = tap->detected_unix_ms;
      // A 1.0 host's tap ends before the basic-four fields.
      // NOLINTNEXTLINE(bugprone-sizeof-expression): the size of the pointer field is meant
      if (tap->struct_size >= offsetof(kazasu_tap, basic_info) + sizeof tap->basic_info) {
        t.basic_info_status = view(tap->basic_info_status);
        t.basic_info_message = view(tap->basic_info_message);
        if (const kazasu_basic_info* b = tap->basic_info) {
          t.basic_info = BasicInfo{view(b->name), view(b->address), view(b->birth_date), view(b->sex)};
        }
      }
      self->on_tap(t);
      return KAZASU_OK;
    } catch (const std::exception& e) {
      try {
        self->host().log(KAZASU_LOG_ERROR, std::string("on_tap failed: ") + e.what());
      } catch (...) {  // logging must not turn a handled error into a crash
      }
    } catch (...) {
      try {
        self->host().log(KAZASU_LOG_ERROR, "on_tap failed: unknown exception");
      } catch (...) {
      }
    }
    return KAZASU_ERROR;
  }

  static kazasu_status on_command(void* instance, const kazasu_command* cmd) noexcept {
    auto* self = static_cast<T*>(instance);
    try {
      try {
        const std::string result = self->on_command(Command{view(cmd->id), view(cmd->name), view(cmd->payload_json)});
        // A reply the host refused (not a JSON object) fails the command.
        return self->host().reply(result.empty() ? std::string("{}") : result) == KAZASU_OK ? KAZASU_OK : KAZASU_ERROR;
      } catch (const CommandError& e) {
        (void)self->host().reply_error(e.code(), e.what());  // the error return below fails it either way
      } catch (const std::exception& e) {
        self->host().log(KAZASU_LOG_ERROR, std::string("on_command failed: ") + e.what());
        (void)self->host().reply_error("plugin_error", e.what());
      }
    } catch (...) {  // nothing may unwind into the host
    }
    return KAZASU_ERROR;
  }
};

template <class T>
kazasu_status on_timer(void* instance, uint64_t timer_id, int64_t now_unix_ms) noexcept {
  auto* self = static_cast<T*>(instance);
  try {
    self->on_timer(timer_id, now_unix_ms);
    return KAZASU_OK;
  } catch (const std::exception& e) {
    try {
      self->host().log(KAZASU_LOG_ERROR, std::string("on_timer failed: ") + e.what());
    } catch (...) {
    }
  } catch (...) {
  }
  return KAZASU_ERROR;
}

template <class T>
kazasu_status check_settings(const char* json, char* key, size_t key_size, char* message,
                             size_t message_size) noexcept {
  auto copy = [](const std::string& from, char* to, size_t size) {
    if (size == 0) return;
    const size_t n = from.size() < size - 1 ? from.size() : size - 1;
    from.copy(to, n);
    to[n] = '\0';
  };
  try {
    if (auto err = T::check_settings(std::string(json != nullptr ? json : "{}"))) {
      copy(err->key, key, key_size);
      copy(err->message, message, message_size);
      return KAZASU_INVALID;
    }
    return KAZASU_OK;
  } catch (const std::exception& e) {
    copy("", key, key_size);
    copy(e.what(), message, message_size);
  } catch (...) {
    copy("", key, key_size);
    copy("the plugin's settings check failed", message, message_size);
  }
  return KAZASU_INVALID;
}

template <class T>
constexpr auto check_settings_of() {
  using Fn = kazasu_status (*)(const char*, char*, size_t, char*, size_t);
  if constexpr (requires(const std::string& s) { T::check_settings(s); }) {
    return static_cast<Fn>(&check_settings<T>);
  } else {
    return static_cast<Fn>(nullptr);
  }
}

template <class T>
const kazasu_plugin_descriptor* describe(const uint32_t* host_versions, size_t count, const char* name,
                                         const char* version, const char* description) noexcept {
  // The newest version both sides speak: the host's best of our major, capped at ours.
  uint32_t chosen_minor = 0;
  bool speaks_major = false;
  for (size_t i = 0; i < count; ++i) {
    if ((host_versions[i] >> 16) != KAZASU_ABI_MAJOR) continue;
    const uint32_t minor = std::min<uint32_t>(host_versions[i] & 0xFFFFu, KAZASU_ABI_MINOR);
    if (!speaks_major || minor > chosen_minor) chosen_minor = minor;
    speaks_major = true;
  }
  if (!speaks_major) return nullptr;
  static const std::span<const kazasu_setting> settings = settings_of<T>();
  static kazasu_plugin_descriptor descriptor = {
      sizeof(kazasu_plugin_descriptor),
      KAZASU_ABI_MAJOR,
      KAZASU_ABI_MINOR,
      name,
      version,
      description,
      settings.empty() ? nullptr : settings.data(),
      settings.size(),
      &Adapter<T>::create,
      &Adapter<T>::destroy,
      &Adapter<T>::on_tap,
      &Adapter<T>::on_command,
      &detail::on_timer<T>,
      check_settings_of<T>(),
      sizeof(kazasu_setting),
  };
  descriptor.abi_minor = static_cast<uint16_t>(chosen_minor);
  return &descriptor;
}

}  // namespace detail
}  // namespace kazasu

/** Registers `Class` as this library's plugin: exports the one entry symbol. */
#define KAZASU_PLUGIN(Class, name, version, description)                                                      \
  extern "C" KAZASU_EXPORT const kazasu_plugin_descriptor* kazasu_plugin_entry(const uint32_t* host_versions, \
                                                                               size_t count) {                \
    return ::kazasu::detail::describe<Class>(host_versions, count, name, version, description);               \
  }

#endif  // KAZASU_PLUGIN_HPP
