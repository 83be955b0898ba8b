// kazasu plugin SDK, testing kit: an in-process fake of the host, to unit-test
// any plugin without kazasud, readers or a broker. Header-only; needs
// sqlite3.h, libsqlite3 and nlohmann/json (CMake: link Kazasu::testing), and
// works with any test framework (it throws std::logic_error where a lookup
// fails; GoogleTest reports that as a failed test).
//
// The plugin is loaded through its own descriptor: the test links the plugin's
// sources (kazasu_add_plugin() makes them an object library, <name>_objects),
// KAZASU_PLUGIN's entry function included, and the fake calls it as the host
// does. Then, like the real host:
//  - the plugin is created with the settings JSON the test gives, the
//    declared defaults filled in (a test passes what it needs, "{}" for none;
//    types and ranges are not checked: kazasud's own tests do that);
//  - the plugin's database is a real SQLite file in a temporary directory, in
//    WAL mode, removed when the fake goes;
//  - every tap, command and timer runs inside a transaction, in a SAVEPOINT:
//    released when the plugin returns KAZASU_OK, rolled back (its database
//    changes and everything it published) when it returns an error, throws,
//    or a command calls reply_error;
//  - publish and publish_retained check the event name, that the fields are a
//    JSON object and that none of the host's own fields is set, and are
//    refused outside a callback (in create, say);
//  - the clock is the test's: set_now() / advance() move it and fire every
//    timer that fell due, each through on_timer in its own transaction.
//
//   #include <kazasu/testing/fake_host.hpp>
//   using kazasu::testing::Card;
//   using kazasu::testing::FakeHost;
//
//   TEST(Hello, GreetsAnIdentifiedCard) {
//     FakeHost host(R"({"greeting": "hi"})");
//     ASSERT_EQ(host.tap(Card::jpki("alice", "possession"), "counter-1"), KAZASU_OK);
//     EXPECT_EQ(host.last("seen")["greeting"], "hi");
//     EXPECT_EQ(host.tap(Card::failed("expired")), KAZASU_OK);
//     const auto reply = host.command("count", {{"token", FakeHost::token_of("alice")}});
//     EXPECT_EQ(reply["result"]["taps"], 1);   // {ok, result} or {ok: false, code, message}
//     host.advance(60'000);                     // fires the timers due by then
//   }
#pragma once

#include <sqlite3.h>
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kazasu/plugin.h"
#include "kazasu/station_time.hpp"

// The entry function KAZASU_PLUGIN defines in the plugin's sources, linked into the test.
extern "C" const kazasu_plugin_descriptor* kazasu_plugin_entry(const uint32_t* host_versions, size_t count);

namespace kazasu::testing {

/** The fake's clock at start unless told otherwise: Monday 2027-04-05 08:00 in Japan (UTC+9). */
inline constexpr int64_t kDefaultNow = 1'806'879'600'000;
/** Japan's UTC offset, the fake's default. */
inline constexpr int32_t kJapan = 9 * 3600;

/** The card's basic four, as a tap of a plugin granted `card.basic_info` carries them. */
struct BasicFour {
  std::string name = "番号　花子";  // family and given names separated by U+3000
  std::string address = "東京都千代田区霞が関２丁目１番２号";
  std::string birth_date = "19900101";
  std::string sex = "2";
};

/**
 * A card on the reader, as the host would describe it to the plugin. Build one
 * with Card::jpki / freearea / uid / failed and adjust what the test needs.
 */
struct Card {
  std::string name;                // any text naming the card; its token is FakeHost::token_of(name)
  std::string kind = "jpki";       // "jpki", "freearea", "uid", or "" when unknown
  std::string assurance = "fast";  // "fast", "verified", "possession", "uid", or ""
  std::string status = "ok";       // "ok", or why the card was not identified
  std::string message;             // staff-readable; filled in from status when empty
  // The basic four: "" unless the plugin is granted card.basic_info; then "read"
  // (with `basic_info`), "no_pin", "pin_wrong", "pin_locked", "not_available"
  // or "read_failed".
  std::string basic_info_status;
  std::string basic_info_message;
  std::optional<BasicFour> basic_info;

  /** A My Number Card identified by its JPKI certificate ("fast", "verified" or "possession"). */
  static Card jpki(std::string name, std::string assurance = "fast") {
    return identified_card(std::move(name), "jpki", std::move(assurance));
  }
  /** A card identified by an ID in its free area (a staff or library card). */
  static Card freearea(std::string name, std::string assurance = "fast") {
    return identified_card(std::move(name), "freearea", std::move(assurance));
  }
  /** A card known only by its UID, which can be copied: assurance "uid". */
  static Card uid(std::string name) { return identified_card(std::move(name), "uid", "uid"); }
  /**
   * A card that was not identified: no token. `status` is a reason such as
   * "read_failed", "expired", "not_yet_valid", "untrusted", "pin_locked",
   * "pin_wrong", "possession_failed" or "card_not_accepted".
   */
  static Card failed(std::string status, std::string message = "", std::string kind = "") {
    Card c;
    c.kind = std::move(kind);
    c.assurance = "";
    c.status = std::move(status);
    c.message = std::move(message);
    return c;
  }

  /** The same card with the basic four read (the plugin must be granted card.basic_info). */
  [[nodiscard]] Card with_basic_info(BasicFour four = {}) const {
    Card c = *this;
    c.basic_info_status = "read";
    c.basic_info_message = "the basic four were read";
    c.basic_info = std::move(four);
    return c;
  }
  /** The same card with the basic four not read, for `status` such as "no_pin" or "pin_locked". */
  [[nodiscard]] Card without_basic_info(std::string status, const std::string& message = "") const {
    Card c = *this;
    c.basic_info_status = std::move(status);
    c.basic_info_message = message.empty() ? "the basic four were not read: " + c.basic_info_status : message;
    c.basic_info.reset();
    return c;
  }
  [[nodiscard]] bool identified() const { return status == "ok"; }

 private:
  static Card identified_card(std::string name, std::string kind, std::string assurance) {
    Card c;
    c.name = std::move(name);
    c.kind = std::move(kind);
    c.assurance = std::move(assurance);
    return c;
  }
};

/** One outcome the plugin published and the host committed. */
// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json members make the implicit members throwing
struct Published {
  std::string event;
  nlohmann::json fields;  // as the plugin sent them, plus "reader" as the host adds it ("" outside taps)
  bool retained = false;
  std::string reader;     // the tap's reader, "" for commands and timers
  std::string source_id;  // the tap's or command's id; a new id for a timer
};

/** One line the plugin logged. */
struct LogLine {
  kazasu_log_level level;
  std::string message;
};

/** How one tap, command or timer ended, as the host would report it. */
struct Outcome {
  bool ok = true;
  std::string reason;  // "plugin_error", or a command's reply_error code
  std::string message;
};

/** What the fake host is built with. */
struct Options {
  std::string config_json = "{}";              // [plugins.NAME.config] as JSON; declared defaults are filled in
  int64_t now_unix_ms = kDefaultNow;           // the clock at start
  int32_t utc_offset_seconds = kJapan;         // the station's offset
  std::string reader = "reader-1";             // the reader of a tap that names none
  kazasu_plugin_entry_fn entry = nullptr;      // the plugin's entry function; null: kazasu_plugin_entry
  std::filesystem::path data_dir;              // where the database goes; empty: a new temporary directory
  bool echo_logs = false;                      // also print the plugin's log lines to stderr
  bool fill_defaults = true;                   // add each declared setting's default the config lacks, as kazasud does
  std::string station = "test/station-1";      // the writer of shared records (ABI 1.3)
  std::shared_ptr<struct SharedStore> shared;  // give two hosts one store to test two stations; null: a new one
  bool broker_encrypted = false;               // what host->broker_encrypted answers (ABI 1.4)
};

/**
 * The shared-state engine as the kit keeps it: in memory, one per FakeHost
 * unless a test hands the same store to several (as several stations).
 * `available = false` makes every shared call answer UNAVAILABLE, as an
 * engine the network cannot reach; appends made meanwhile wait in their
 * host and arrive when the test calls FakeHost::replay_shared().
 */
struct SharedStore {
  struct Record {
    std::string value;
    int64_t version = 0;
    std::string station;
    int64_t at_unix_ms = 0;
    std::string claim_id;
  };
  struct Entry {
    std::string id, body;
    int64_t amount = 0;
    std::string station;
    int64_t at_unix_ms = 0;
  };
  std::map<std::string, Record> records;              // "plugin\0key"
  std::map<std::string, std::vector<Entry>> entries;  // "plugin\0key", oldest first
  bool available = true;
  uint64_t conflicts = 0;
};

class FakeHost {
 public:
  /** The shared-state store this host writes to (ABI 1.3); share it between hosts to test stations. */
  [[nodiscard]] const std::shared_ptr<SharedStore>& shared() const { return shared_; }
  /** Makes the shared engine reachable or not for every host on this store. */
  void set_shared_available(bool available) { shared_->available = available; }
  /** Sends the appends made while the engine was away, in order; returns how many arrived. */
  size_t replay_shared() {
    size_t n = 0;
    while (!pending_appends_.empty() && shared_->available) {
      apply_append(pending_appends_.front());
      pending_appends_.erase(pending_appends_.begin());
      ++n;
    }
    return n;
  }
  /** Appends waiting for the engine. */
  [[nodiscard]] size_t pending_shared() const { return pending_appends_.size(); }

  /** Loads the plugin linked into the test and creates it; throws std::runtime_error when create fails. */
  explicit FakeHost(std::string config_json = "{}", int64_t now_unix_ms = kDefaultNow)
      : FakeHost(options_of(std::move(config_json), now_unix_ms)) {}

  explicit FakeHost(Options options)
      : opt_(std::move(options)),
        now_(opt_.now_unix_ms),
        shared_(opt_.shared ? opt_.shared : std::make_shared<SharedStore>()) {
    if (opt_.data_dir.empty()) {
      std::string tmpl = (std::filesystem::temp_directory_path() / "kazasu-fake-host-XXXXXX").string();
      if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory");
      opt_.data_dir = tmpl;
      owns_dir_ = true;
    }
    const kazasu_plugin_entry_fn entry = opt_.entry != nullptr ? opt_.entry : &kazasu_plugin_entry;
    const uint32_t versions[] = {KAZASU_ABI_VERSION(KAZASU_ABI_MAJOR, KAZASU_ABI_MINOR)};
    plugin_ = entry(versions, 1);
    if (plugin_ == nullptr) {
      cleanup();
      throw std::runtime_error("the plugin's entry function returned no descriptor for ABI " +
                               std::to_string(KAZASU_ABI_MAJOR) + "." + std::to_string(KAZASU_ABI_MINOR));
    }
    plugin_name_ = plugin_->name != nullptr ? plugin_->name : "";
    init_table();
    try {
      if (opt_.fill_defaults) opt_.config_json = with_defaults(opt_.config_json);
      open_database();
      create();
    } catch (...) {
      cleanup();
      throw;
    }
  }

  ~FakeHost() { cleanup(); }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  // ---- taps ----------------------------------------------------------------

  /** Taps `card` on `reader` (the default reader when empty); returns what on_tap returned. */
  kazasu_status tap(const Card& card, const std::string& reader = "") {
    const std::string r = reader.empty() ? opt_.reader : reader;
    const std::string id = next_id();
    const std::string token = card.identified() ? token_of(card.name) : "";
    const std::string message = !card.message.empty()
                                    ? card.message
                                    : (card.identified() ? "card identified" : "card not identified: " + card.status);
    kazasu_basic_info four{};
    if (card.basic_info) {
      four.struct_size = sizeof(kazasu_basic_info);
      four.name = card.basic_info->name.c_str();
      four.address = card.basic_info->address.c_str();
      four.birth_date = card.basic_info->birth_date.c_str();
      four.sex = card.basic_info->sex.c_str();
    }
    kazasu_tap tap{};
    tap.struct_size = sizeof(kazasu_tap);
    tap.id = id.c_str();
    tap.reader = r.c_str();
    tap.status = card.status.c_str();
    tap.message = message.c_str();
    tap.card_kind = card.kind.c_str();
    tap.assurance = card.assurance.c_str();
    tap.token = token.empty() ? nullptr : token.c_str();
    tap.detected_unix_ms = now_;
    tap.basic_info_status = card.basic_info_status.c_str();
    tap.basic_info_message = card.basic_info_message.c_str();
    tap.basic_info = card.basic_info ? &four : nullptr;
    Current cur = job(id, r, false);
    return run(cur, [&] { return plugin_->on_tap(instance_, &tap); });
  }

  /**
   * Shorthand: an identified JPKI card named `card` at "fast" assurance, or,
   * when `status` is not "ok", a card not identified for that reason.
   */
  kazasu_status tap(const std::string& card, const std::string& reader = "", const std::string& status = "ok") {
    return tap(status == "ok" ? Card::jpki(card) : Card::failed(status), reader);
  }

  // ---- commands ------------------------------------------------------------

  /**
   * Sends command `name` with `payload` (a JSON object; any JSON text through
   * command_text). Returns the reply as facility PCs see it:
   * {"ok": true, "result": {...}} or {"ok": false, "code": ..., "message": ...}.
   */
  nlohmann::json command(const std::string& name, const nlohmann::json& payload = nlohmann::json::object()) {
    return command_text(name, payload.dump());
  }

  nlohmann::json command_text(const std::string& name, const std::string& payload_json) {
    const std::string id = next_id();
    if (plugin_->on_command == nullptr) {
      return nlohmann::json{{"ok", false}, {"code", "unknown_command"}, {"message", "the plugin takes no commands"}};
    }
    kazasu_command cmd{};
    cmd.struct_size = sizeof(kazasu_command);
    cmd.id = id.c_str();
    cmd.name = name.c_str();
    cmd.payload_json = payload_json.c_str();
    Current cur = job(id, "", true);
    run(cur, [&] { return plugin_->on_command(instance_, &cmd); });
    if (cur.reply_error) {
      return nlohmann::json{{"ok", false}, {"code", cur.reply_error->first}, {"message", cur.reply_error->second}};
    }
    if (!last_outcome_.ok) {
      return nlohmann::json{{"ok", false}, {"code", last_outcome_.reason}, {"message", last_outcome_.message}};
    }
    return nlohmann::json{{"ok", true},
                          {"result", cur.reply ? nlohmann::json::parse(*cur.reply) : nlohmann::json::object()}};
  }

  // ---- the clock and timers -----------------------------------------------

  /** Sets the clock and fires every timer now due, oldest due first, each seeing the new time. */
  void set_now(int64_t now_unix_ms) {
    now_ = now_unix_ms;
    fire_due();
  }
  /** Sets the clock to a station time "YYYY-MM-DD HH:MM" (at the fake's UTC offset). */
  void set_now(const std::string& station_time) { set_now(at(station_time)); }
  /** Moves the clock forward by `ms` and fires what fell due. */
  void advance(int64_t ms) { set_now(now_ + ms); }
  /**
   * Moves the clock to `until` stopping at every due time on the way, so each
   * timer sees its own due time as now (a daemon that never slept).
   */
  void run_until(int64_t until) {
    for (int guard = 0; guard < kMaxTimerRuns; ++guard) {
      const auto due = next_due(until);
      if (!due) {
        now_ = std::max(now_, until);
        return;
      }
      now_ = std::max(now_, due->second);
      fire(due->first);
    }
    throw std::runtime_error("timers keep firing");
  }
  /** Unix ms of a station time "YYYY-MM-DD HH:MM" at the fake's UTC offset; throws when malformed. */
  [[nodiscard]] int64_t at(const std::string& station_time) const {
    const auto ms = station_time_ms(station_time, opt_.utc_offset_seconds);
    if (!ms) throw std::invalid_argument("not a station time YYYY-MM-DD HH:MM: " + station_time);
    return *ms;
  }
  void set_utc_offset_seconds(int32_t offset) { opt_.utc_offset_seconds = offset; }

  /** The armed timers: id to due time. */
  [[nodiscard]] const std::map<uint64_t, int64_t>& timers() const { return timers_; }
  /** Every set_timer (id, due) and cancel_timer (id, -1) call in order, since the start. */
  [[nodiscard]] const std::vector<std::pair<uint64_t, int64_t>>& timer_calls() const { return timer_calls_; }

  // ---- the plugin's life --------------------------------------------------

  /**
   * Destroys the instance, closes and reopens its database and creates it
   * again with the same settings, as a daemon restart does: timers are gone
   * until create re-arms them.
   */
  void restart() {
    destroy();
    db_.reset();
    open_database();
    create();
  }

  // ---- what the plugin did -------------------------------------------------

  /** Everything committed, oldest first. */
  [[nodiscard]] const std::vector<Published>& published() const { return published_; }
  /** The fields of everything published as `event`, oldest first. */
  [[nodiscard]] std::vector<nlohmann::json> all(const std::string& event) const {
    std::vector<nlohmann::json> out;
    for (const auto& p : published_) {
      if (p.event == event) out.push_back(p.fields);
    }
    return out;
  }
  /** The fields of the last `event` published; throws std::logic_error when there is none. */
  [[nodiscard]] nlohmann::json last(const std::string& event) const {
    for (auto it = published_.rbegin(); it != published_.rend(); ++it) {
      if (it->event == event) return it->fields;
    }
    throw std::logic_error("nothing was published as \"" + event + "\"" + summary());
  }
  /** The last retained `event` (the topic's current state); throws std::logic_error when there is none. */
  [[nodiscard]] nlohmann::json retained(const std::string& event) const {
    for (auto it = published_.rbegin(); it != published_.rend(); ++it) {
      if (it->event == event && it->retained) return it->fields;
    }
    throw std::logic_error("nothing was published retained as \"" + event + "\"" + summary());
  }
  /** Forgets what was published and logged so far. */
  void clear() {
    published_.clear();
    logs_.clear();
  }
  [[nodiscard]] const std::vector<LogLine>& logs() const { return logs_; }
  /** True when a log line contains `text`. */
  [[nodiscard]] bool logged(std::string_view text) const {
    return std::any_of(logs_.begin(), logs_.end(),
                       [&](const LogLine& l) { return l.message.find(text) != std::string::npos; });
  }
  /** How the last tap, command or timer ended. */
  [[nodiscard]] const Outcome& last_outcome() const { return last_outcome_; }

  /** The plugin's database (for a test's own queries; outside callbacks no transaction is open). */
  [[nodiscard]] sqlite3* db() const { return db_.get(); }
  [[nodiscard]] std::filesystem::path database_path() const {
    return opt_.data_dir / "plugins" / (std::string(plugin_->name) + ".db");
  }
  [[nodiscard]] int64_t now() const { return now_; }
  [[nodiscard]] const kazasu_plugin_descriptor& descriptor() const { return *plugin_; }
  /** The settings JSON the plugin was created with, defaults filled in. */
  [[nodiscard]] const std::string& config_json() const { return opt_.config_json; }

  /** The token a card named `name` gives this plugin: its hex, padded with zeros to 64 characters. */
  static std::string token_of(const std::string& name) {
    static constexpr const char* kHex = "0123456789abcdef";
    std::string hex;
    for (const unsigned char c : name) {
      hex += kHex[c >> 4];
      hex += kHex[c & 15];
    }
    hex.resize(64, '0');
    return hex;
  }

  /** Runs the plugin's check_settings on `settings_json`: {KAZASU_OK, "", ""} or {KAZASU_INVALID, key, message}. */
  struct SettingsCheck {
    kazasu_status status;
    std::string key;
    std::string message;
  };
  static SettingsCheck check_settings(const std::string& settings_json, kazasu_plugin_entry_fn entry = nullptr) {
    const uint32_t versions[] = {KAZASU_ABI_VERSION(KAZASU_ABI_MAJOR, KAZASU_ABI_MINOR)};
    const kazasu_plugin_descriptor* d = (entry != nullptr ? entry : &kazasu_plugin_entry)(versions, 1);
    if (d == nullptr || d->check_settings == nullptr) return {KAZASU_OK, "", ""};
    char key[128] = {0};
    char message[512] = {0};
    const kazasu_status st = d->check_settings(settings_json.c_str(), key, sizeof key, message, sizeof message);
    return {st, key, message};
  }

 private:
  static constexpr int kMaxTimerRuns = 10'000;

  static Options options_of(std::string config_json, int64_t now_unix_ms) {
    Options o;
    o.config_json = std::move(config_json);
    o.now_unix_ms = now_unix_ms;
    return o;
  }

  struct Current {
    std::string id;
    std::string reader;
    bool is_command = false;
    std::vector<Published> published;
    std::optional<std::string> reply;
    std::optional<std::pair<std::string, std::string>> reply_error;
    std::vector<std::string> claims;  // keys claimed by this job: released when it fails
    std::vector<SharedStore::Entry> appends;
    std::vector<std::string> appends_keys;
    std::deque<std::string> strings;  // handed to the plugin; valid until the callback returns
  };

  static Current job(std::string id, std::string reader, bool is_command) {
    Current c;
    c.id = std::move(id);
    c.reader = std::move(reader);
    c.is_command = is_command;
    return c;
  }

  static FakeHost& self(kazasu_context* c) { return *reinterpret_cast<FakeHost*>(c); }
  kazasu_context* ctx() { return reinterpret_cast<kazasu_context*>(this); }

  static bool is_token(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  }

  void init_table() {
    table_.struct_size = sizeof(kazasu_host);
    table_.abi_major = KAZASU_ABI_MAJOR;
    table_.abi_minor = KAZASU_ABI_MINOR;
    table_.log = [](kazasu_context* c, kazasu_log_level level, const char* message) {
      FakeHost& h = self(c);
      h.logs_.push_back(LogLine{level, message != nullptr ? std::string(message) : std::string()});
      if (h.opt_.echo_logs)
        std::fprintf(stderr, "[plugin %d] %s\n", static_cast<int>(level), h.logs_.back().message.c_str());
    };
    table_.publish = [](kazasu_context* c, const char* e, const char* f) { return self(c).publish(e, f, false); };
    table_.publish_retained = [](kazasu_context* c, const char* e, const char* f) {
      return self(c).publish(e, f, true);
    };
    table_.database = [](kazasu_context* c) -> sqlite3* { return self(c).db_.get(); };
    table_.config_json = [](kazasu_context* c) { return self(c).opt_.config_json.c_str(); };
    table_.now_unix_ms = [](kazasu_context* c) { return self(c).now_; };
    table_.utc_offset_seconds = [](kazasu_context* c) { return self(c).opt_.utc_offset_seconds; };
    table_.reply = [](kazasu_context* c, const char* result) {
      Current* cur = self(c).current_;
      if (cur == nullptr || !cur->is_command) return KAZASU_NOT_ALLOWED;
      const auto j = nlohmann::json::parse(result != nullptr ? result : "", nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        cur->reply_error = {"plugin_error", "the plugin's reply is not a JSON object"};
        return KAZASU_INVALID;
      }
      cur->reply = j.dump();
      return KAZASU_OK;
    };
    table_.reply_error = [](kazasu_context* c, const char* code, const char* message) {
      Current* cur = self(c).current_;
      if (cur == nullptr || !cur->is_command) return KAZASU_NOT_ALLOWED;
      const std::string_view cv = code != nullptr ? std::string_view(code) : std::string_view();
      cur->reply_error = {is_token(cv) ? std::string(cv) : "plugin_error", message != nullptr ? message : ""};
      return KAZASU_OK;
    };
    table_.set_timer = [](kazasu_context* c, uint64_t id, int64_t due) {
      FakeHost& h = self(c);
      if (h.plugin_->on_timer == nullptr) return KAZASU_NOT_ALLOWED;
      h.timers_[id] = due;
      h.timer_calls_.emplace_back(id, due);
      return KAZASU_OK;
    };
    table_.cancel_timer = [](kazasu_context* c, uint64_t id) {
      FakeHost& h = self(c);
      h.timers_.erase(id);
      h.timer_calls_.emplace_back(id, -1);
      return KAZASU_OK;
    };
    table_.shared_claim = [](kazasu_context* c, const char* key, const char* value, kazasu_shared_record* out) {
      return self(c).shared_claim(key, value, out);
    };
    table_.shared_get = [](kazasu_context* c, const char* key, kazasu_shared_record* out) {
      return self(c).shared_get(key, out);
    };
    table_.shared_put = [](kazasu_context* c, const char* key, const char* value, int64_t expected,
                           kazasu_shared_record* out) { return self(c).shared_put(key, value, expected, out); };
    table_.shared_append = [](kazasu_context* c, const char* key, const char* id, const char* body, int64_t amount) {
      return self(c).shared_append(key, id, body, amount);
    };
    table_.shared_entries = [](kazasu_context* c, const char* key, uint32_t limit, kazasu_shared_entries* out) {
      return self(c).shared_entries(key, limit, out);
    };
    table_.broker_encrypted = [](kazasu_context* c) -> int32_t { return self(c).opt_.broker_encrypted ? 1 : 0; };
  }

  // ---- shared state, with the host's rules (plugin.h, ABI 1.3) ----
  static bool shared_key_ok(const char* key) { return key != nullptr && key[0] != '\0' && std::strlen(key) <= 256; }

  void fill(kazasu_shared_record* out, const SharedStore::Record& r) {
    if (out == nullptr || out->struct_size < sizeof(kazasu_shared_record)) return;
    out->value = current_->strings.emplace_back(r.value).c_str();
    out->version = r.version;
    out->station = current_->strings.emplace_back(r.station).c_str();
    out->at_unix_ms = r.at_unix_ms;
  }

  kazasu_shared_status shared_claim(const char* key, const char* value, kazasu_shared_record* out) {
    if (current_ == nullptr) return KAZASU_SHARED_NOT_ALLOWED;
    if (!shared_key_ok(key) || value == nullptr) return KAZASU_SHARED_INVALID;
    if (!shared_->available) return KAZASU_SHARED_UNAVAILABLE;
    const std::string k = scoped(key);
    auto it = shared_->records.find(k);
    if (it != shared_->records.end()) {
      fill(out, it->second);
      return KAZASU_SHARED_EXISTS;
    }
    auto& r = shared_->records[k];
    r = SharedStore::Record{value, 1, opt_.station, now_, current_->id};
    current_->claims.push_back(k);
    fill(out, r);
    return KAZASU_SHARED_OK;
  }

  kazasu_shared_status shared_get(const char* key, kazasu_shared_record* out) {
    if (current_ == nullptr) return KAZASU_SHARED_NOT_ALLOWED;
    if (!shared_key_ok(key)) return KAZASU_SHARED_INVALID;
    if (!shared_->available) return KAZASU_SHARED_UNAVAILABLE;
    auto it = shared_->records.find(scoped(key));
    if (it == shared_->records.end()) return KAZASU_SHARED_NOT_FOUND;
    fill(out, it->second);
    return KAZASU_SHARED_OK;
  }

  kazasu_shared_status shared_put(const char* key, const char* value, int64_t expected, kazasu_shared_record* out) {
    if (current_ == nullptr) return KAZASU_SHARED_NOT_ALLOWED;
    if (!shared_key_ok(key) || expected < -1) return KAZASU_SHARED_INVALID;
    if (!shared_->available) return KAZASU_SHARED_UNAVAILABLE;
    const std::string k = scoped(key);
    auto it = shared_->records.find(k);
    const bool matches = expected < 0 || (expected == 0 && it == shared_->records.end()) ||
                         (it != shared_->records.end() && it->second.version == expected);
    if (!matches) {
      if (it == shared_->records.end()) return KAZASU_SHARED_NOT_FOUND;
      fill(out, it->second);
      return KAZASU_SHARED_CONFLICT;
    }
    if (value == nullptr) {
      if (it == shared_->records.end()) return KAZASU_SHARED_NOT_FOUND;
      fill(out, it->second);
      shared_->records.erase(it);
      return KAZASU_SHARED_OK;
    }
    const int64_t version = it == shared_->records.end() ? 1 : it->second.version + 1;
    auto& r = shared_->records[k];
    r = SharedStore::Record{value, version, opt_.station, now_, {}};
    fill(out, r);
    return KAZASU_SHARED_OK;
  }

  kazasu_shared_status shared_append(const char* key, const char* id, const char* body, int64_t amount) {
    if (current_ == nullptr) return KAZASU_SHARED_NOT_ALLOWED;
    if (!shared_key_ok(key) || id == nullptr || id[0] == '\0' || std::strlen(id) > 128) return KAZASU_SHARED_INVALID;
    current_->appends.push_back(SharedStore::Entry{id, body != nullptr ? body : "", amount, opt_.station, now_});
    current_->appends_keys.push_back(scoped(key));
    return KAZASU_SHARED_OK;
  }

  kazasu_shared_status shared_entries(const char* key, uint32_t limit, kazasu_shared_entries* out) {
    if (current_ == nullptr) return KAZASU_SHARED_NOT_ALLOWED;
    if (!shared_key_ok(key) || out == nullptr) return KAZASU_SHARED_INVALID;
    if (!shared_->available) return KAZASU_SHARED_UNAVAILABLE;
    const std::string k = scoped(key);
    std::vector<std::pair<SharedStore::Entry, bool>> all;  // oldest first; bool: pending
    for (const auto& e : shared_->entries[k]) all.emplace_back(e, false);
    auto pending_here = [&](const SharedStore::Entry& e) {
      for (const auto& [x, _] : all) {
        if (x.id == e.id) return;
      }
      all.emplace_back(e, true);
    };
    for (const auto& [pk, e] : pending_appends_) {
      if (pk == k) pending_here(e);
    }
    for (size_t i = 0; i < current_->appends.size(); ++i) {
      if (current_->appends_keys[i] == k) pending_here(current_->appends[i]);
    }
    nlohmann::json list = nlohmann::json::array();
    int64_t sum = 0;
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      sum += it->first.amount;
      if (list.size() < std::min<uint32_t>(limit, 1000)) {
        list.push_back({{"id", it->first.id},
                        {"body", it->first.body},
                        {"amount", it->first.amount},
                        {"station", it->first.station},
                        {"at_unix_ms", it->first.at_unix_ms},
                        {"pending", it->second}});
      }
    }
    if (out->struct_size < sizeof(kazasu_shared_entries)) return KAZASU_SHARED_INVALID;
    out->entries_json = current_->strings.emplace_back(list.dump()).c_str();
    out->sum = sum;
    out->count = static_cast<int64_t>(all.size());
    return KAZASU_SHARED_OK;
  }

  std::string scoped(std::string_view key) const { return plugin_name_ + std::string(1, '\0') + std::string(key); }

  // An append reaching the engine: once per id; another body or amount is a conflict, never merged.
  void apply_append(const std::pair<std::string, SharedStore::Entry>& a) {
    auto& list = shared_->entries[a.first];
    for (const auto& e : list) {
      if (e.id != a.second.id) continue;
      if (e.body != a.second.body || e.amount != a.second.amount) ++shared_->conflicts;
      return;
    }
    list.push_back(a.second);
  }

  // Setting `i` of the descriptor's array, as kazasud reads it: the stride is the
  // plugin's setting_size (ABI 1.2) when its descriptor has that field and it is
  // not 0, else the element as of 1.1. Each element is copied into a zeroed
  // kazasu_setting, so fields the plugin's element lacks stay zero and fields it
  // has beyond this header's are not read.
  static kazasu_setting setting_at(const kazasu_plugin_descriptor& desc, size_t i) {
    constexpr size_t kSettingSizeBefore12 = offsetof(kazasu_setting, max_value) + sizeof(int64_t);
    size_t stride = kSettingSizeBefore12;
    if (desc.struct_size >= offsetof(kazasu_plugin_descriptor, setting_size) + sizeof desc.setting_size &&
        desc.setting_size != 0) {
      stride = desc.setting_size;
    }
    kazasu_setting setting{};
    const auto* base = reinterpret_cast<const unsigned char*>(desc.settings);
    std::memcpy(&setting, base + i * stride, std::min(stride, sizeof setting));
    return setting;
  }

  // The declared defaults under the test's settings, as kazasud fills them in.
  std::string with_defaults(const std::string& config_json) const {
    auto config = nlohmann::json::parse(config_json.empty() ? "{}" : config_json);
    if (!config.is_object()) throw std::invalid_argument("the settings must be a JSON object");
    for (size_t i = 0; plugin_->settings != nullptr && i < plugin_->settings_count; ++i) {
      const kazasu_setting setting = setting_at(*plugin_, i);
      if (setting.name == nullptr || setting.default_value == nullptr || config.contains(setting.name)) continue;
      auto value = nlohmann::json::parse(setting.default_value, nullptr, false);
      if (!value.is_discarded()) config[setting.name] = std::move(value);
    }
    return config.dump();
  }

  void open_database() {
    std::filesystem::create_directories(opt_.data_dir / "plugins");
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(database_path().c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    db_.reset(raw);  // owned even when the open failed
    if (rc != SQLITE_OK) throw std::runtime_error("cannot open " + database_path().string());
    sqlite3_busy_timeout(raw, 5000);
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
      if (sqlite3_exec(raw, pragma, nullptr, nullptr, nullptr) != SQLITE_OK) {
        throw std::runtime_error(std::string(pragma) + " failed: " + sqlite3_errmsg(raw));
      }
    }
  }

  void create() {
    void* instance = nullptr;
    if (plugin_->create(&table_, ctx(), &instance) != KAZASU_OK || instance == nullptr) {
      std::string why;
      for (const auto& l : logs_) {
        if (l.level <= KAZASU_LOG_ERROR) why = ": " + l.message;
      }
      throw std::runtime_error(std::string("the plugin's create() failed") + why);
    }
    instance_ = instance;
  }

  void destroy() {
    if (instance_ != nullptr) plugin_->destroy(instance_);
    instance_ = nullptr;
    timers_.clear();
  }

  void cleanup() {
    destroy();
    db_.reset();
    if (owns_dir_) {
      std::error_code ec;
      std::filesystem::remove_all(opt_.data_dir, ec);
      owns_dir_ = false;
    }
  }

  std::string next_id() {
    // UUIDv7-shaped: the clock in the first 48 bits, then a counter.
    char out[40];
    const auto ms = static_cast<unsigned long long>(now_ < 0 ? 0 : now_);
    std::snprintf(out, sizeof out, "%08llx-%04llx-7000-8000-%012llx", (ms >> 16) & 0xffffffffULL, ms & 0xffffULL,
                  static_cast<unsigned long long>(++ids_));
    return out;
  }

  kazasu_status publish(const char* event, const char* fields, bool retained) {
    if (current_ == nullptr) return KAZASU_NOT_ALLOWED;
    const std::string_view ev = event != nullptr ? std::string_view(event) : std::string_view();
    if (!is_token(ev) || ev == "cmd" || ev == "error") return KAZASU_INVALID;
    auto j = nlohmann::json::parse(fields != nullptr ? fields : "", nullptr, false);
    if (j.is_discarded() || !j.is_object()) return KAZASU_INVALID;
    for (const char* reserved : {"schema", "id", "ts", "site", "station", "reader", "plugin", "event"}) {
      if (j.contains(reserved)) return KAZASU_INVALID;
    }
    j["reader"] = current_->reader;  // as the host's envelope has it
    Published p;
    p.event = std::string(ev);
    p.fields = std::move(j);
    p.retained = retained;
    p.reader = current_->reader;
    p.source_id = current_->id;
    current_->published.push_back(std::move(p));
    return KAZASU_OK;
  }

  // One job as the host runs it: BEGIN IMMEDIATE, SAVEPOINT, the callback,
  // RELEASE or ROLLBACK TO, COMMIT; published outcomes count only when kept.
  template <class F>
  kazasu_status run(Current& cur, F&& callback) {
    exec("BEGIN IMMEDIATE");
    exec("SAVEPOINT kazasu_job");
    current_ = &cur;
    const kazasu_status rc = callback();
    current_ = nullptr;
    const bool ok = rc == KAZASU_OK && !cur.reply_error;
    exec(ok ? "RELEASE kazasu_job" : "ROLLBACK TO kazasu_job; RELEASE kazasu_job");
    exec("COMMIT");
    if (ok) {
      for (size_t i = 0; i < cur.appends.size(); ++i) {
        std::pair<std::string, SharedStore::Entry> a{cur.appends_keys[i], cur.appends[i]};
        if (shared_->available && pending_appends_.empty()) {
          apply_append(a);
        } else {
          pending_appends_.push_back(std::move(a));  // in order, after what already waits
        }
      }
    } else {
      for (const auto& k : cur.claims) {
        auto it = shared_->records.find(k);
        if (it != shared_->records.end() && it->second.claim_id == cur.id) shared_->records.erase(it);
      }
    }
    if (ok) {
      published_.insert(published_.end(), cur.published.begin(), cur.published.end());
      last_outcome_ = Outcome{};
    } else if (cur.reply_error) {
      last_outcome_ = Outcome{false, cur.reply_error->first, cur.reply_error->second};
    } else {
      last_outcome_ = Outcome{false, "plugin_error", "the plugin reported an error"};
    }
    return rc;
  }

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = std::string(sql) + ": " + (err != nullptr ? err : sqlite3_errmsg(db_.get()));
      sqlite3_free(err);
      throw std::logic_error(msg + " (did the plugin leave a transaction or savepoint open?)");
    }
  }

  std::optional<std::pair<uint64_t, int64_t>> next_due(int64_t until) const {
    std::optional<std::pair<uint64_t, int64_t>> due;
    for (const auto& [id, t] : timers_) {
      if (t <= until && (!due || t < due->second)) due = std::make_pair(id, t);
    }
    return due;
  }

  void fire(uint64_t id) {
    timers_.erase(id);
    Current cur = job(next_id(), "", false);
    run(cur, [&] { return plugin_->on_timer(instance_, id, now_); });
  }

  void fire_due() {
    for (int guard = 0; guard < kMaxTimerRuns; ++guard) {
      const auto due = next_due(now_);
      if (!due) return;
      fire(due->first);
    }
    throw std::runtime_error("timers keep firing");
  }

  std::string summary() const {
    std::string s = "; published:";
    if (published_.empty()) return s + " nothing";
    for (const auto& p : published_) s += " " + p.event;
    return s;
  }

  struct CloseDb {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };

  Options opt_;
  bool owns_dir_ = false;
  int64_t now_;
  uint64_t ids_ = 0;
  std::unique_ptr<sqlite3, CloseDb> db_;
  kazasu_host table_{};
  const kazasu_plugin_descriptor* plugin_ = nullptr;
  void* instance_ = nullptr;
  Current* current_ = nullptr;
  std::vector<Published> published_;
  std::vector<LogLine> logs_;
  std::map<uint64_t, int64_t> timers_;
  std::vector<std::pair<uint64_t, int64_t>> timer_calls_;
  Outcome last_outcome_;
  std::shared_ptr<SharedStore> shared_;
  std::string plugin_name_;
  std::vector<std::pair<std::string, SharedStore::Entry>> pending_appends_;
};

}  // namespace kazasu::testing
