// A fake of the host for unit tests: the plugin's own entry point and C ABI,
// an in-memory SQLite database with the host's transaction around each call,
// a clock the test sets, timers that fire when that clock passes them, and a
// record of what was published (dropped on rollback, like the outbox).
#pragma once

#include <gtest/gtest.h>
#include <kazasu/plugin.h>
#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rules.hpp"

extern "C" const kazasu_plugin_descriptor* kazasu_plugin_entry(const uint32_t* host_versions, size_t count);

namespace kazasu::attendance::test {

struct Published {
  std::string event;
  nlohmann::json fields;
  bool retained = false;
};

/** Unix ms of a station-time (UTC+9) "YYYY-MM-DD HH:MM". */
inline int64_t jst(const std::string& s) {
  const int64_t day = *parse_day(s.substr(0, 10));
  return station_midnight_ms(day, 9 * 3600) + *parse_hhmm(s.substr(11, 5)) * kMsPerMinute;
}

class FakeHost {
 public:
  explicit FakeHost(std::string config_json = "{}", int64_t now_ms = jst("2027-04-05 08:00"))
      : config_(std::move(config_json)), now_(now_ms) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open(":memory:", &db);
    db_.reset(db);  // owned even when the open failed or create() throws below
    if (rc != SQLITE_OK) throw std::runtime_error("sqlite open");
    table_.struct_size = sizeof(kazasu_host);
    table_.abi_major = 1;
    table_.log = [](kazasu_context*, kazasu_log_level, const char*) {};
    table_.publish = [](kazasu_context* c, const char* e, const char* f) { return self(c)->add(e, f, false); };
    table_.publish_retained = [](kazasu_context* c, const char* e, const char* f) { return self(c)->add(e, f, true); };
    table_.database = [](kazasu_context* c) { return self(c)->db_.get(); };
    table_.config_json = [](kazasu_context* c) { return self(c)->config_.c_str(); };
    table_.now_unix_ms = [](kazasu_context* c) { return self(c)->now_; };
    table_.utc_offset_seconds = [](kazasu_context*) { return int32_t{9 * 3600}; };
    table_.reply = [](kazasu_context* c, const char* r) {
      self(c)->reply_ = nlohmann::json{{"ok", true}, {"result", nlohmann::json::parse(r)}};
      return KAZASU_OK;
    };
    table_.reply_error = [](kazasu_context* c, const char* code, const char* msg) {
      self(c)->reply_ = nlohmann::json{{"ok", false}, {"code", code}, {"message", msg}};
      return KAZASU_OK;
    };
    table_.set_timer = [](kazasu_context* c, uint64_t id, int64_t due) {
      self(c)->timers_[id] = due;
      return KAZASU_OK;
    };
    table_.cancel_timer = [](kazasu_context* c, uint64_t id) {
      self(c)->timers_.erase(id);
      return KAZASU_OK;
    };
    const uint32_t versions[] = {KAZASU_ABI_VERSION(1, 0)};
    plugin_ = kazasu_plugin_entry(versions, 1);
    if (plugin_ == nullptr) throw std::runtime_error("no descriptor");
    if (plugin_->create(&table_, ctx(), &instance_) != KAZASU_OK) throw std::runtime_error("create failed");
  }
  ~FakeHost() {
    if (instance_ != nullptr) plugin_->destroy(instance_);
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  /** One identified tap of the card `token` (any text; padded to 64 hex). */
  kazasu_status tap(const std::string& token, const std::string& reader = "door-1", const std::string& status = "ok") {
    const std::string t = status == "ok" ? token_of(token) : "";
    const kazasu_tap tap{sizeof(kazasu_tap),
                         "tap-id",
                         reader.c_str(),
                         status.c_str(),
                         "",
                         "uid",
                         "uid",
                         status == "ok" ? t.c_str() : nullptr,
                         now_,
                         "",
                         "",
                         nullptr};
    reader_ = reader;
    const kazasu_status st = in_transaction([&] { return plugin_->on_tap(instance_, &tap); });
    reader_.clear();
    return st;
  }
  /** Sends a command; returns {ok, result} or {ok: false, code, message}. */
  nlohmann::json command(const std::string& name, const nlohmann::json& payload) {
    const std::string p = payload.dump();
    const kazasu_command cmd{sizeof(kazasu_command), "cmd-id", name.c_str(), p.c_str()};
    reply_ = nlohmann::json{{"ok", true}, {"result", nlohmann::json::object()}};
    in_transaction([&] {
      const kazasu_status st = plugin_->on_command(instance_, &cmd);
      return reply_["ok"] == true ? st : KAZASU_ERROR;
    });
    return reply_;
  }
  /** Sets the clock and fires every timer now due, as the host's timer loop does. */
  void set_now(int64_t now_ms) {
    now_ = now_ms;
    for (int guard = 0; guard < 100; ++guard) {
      std::optional<std::pair<uint64_t, int64_t>> due;
      for (const auto& [id, at] : timers_) {
        if (at <= now_ && (!due || at < due->second)) due = std::make_pair(id, at);
      }
      if (!due) return;
      timers_.erase(due->first);
      in_transaction([&] { return plugin_->on_timer(instance_, due->first, now_); });
    }
    throw std::runtime_error("timers keep firing");
  }
  void set_now(const std::string& station_time) { set_now(jst(station_time)); }
  /** Destroys and creates the plugin on the same database, as a daemon restart does. */
  void restart() {
    plugin_->destroy(instance_);
    instance_ = nullptr;
    timers_.clear();
    if (plugin_->create(&table_, ctx(), &instance_) != KAZASU_OK) throw std::runtime_error("create failed");
  }

  /** Everything published with `event`, oldest first. */
  [[nodiscard]] std::vector<nlohmann::json> all(const std::string& event) const {
    std::vector<nlohmann::json> out;
    for (const auto& p : published_) {
      if (p.event == event) out.push_back(p.fields);
    }
    return out;
  }
  /** The last `event` published; fails the test when there is none. */
  [[nodiscard]] nlohmann::json last(const std::string& event) const {
    const auto v = all(event);
    if (v.empty()) {
      ADD_FAILURE() << "nothing published as " << event;
      return nlohmann::json::object();
    }
    return v.back();
  }
  void clear() { published_.clear(); }
  [[nodiscard]] const std::vector<Published>& published() const { return published_; }
  [[nodiscard]] const std::map<uint64_t, int64_t>& timers() const { return timers_; }
  [[nodiscard]] sqlite3* db() const { return db_.get(); }
  [[nodiscard]] int64_t now() const { return now_; }

  static std::string token_of(const std::string& name) {
    std::string hex;
    for (const unsigned char c : name) {
      static const char* d = "0123456789abcdef";
      hex += d[c >> 4];
      hex += d[c & 15];
    }
    hex.resize(64, '0');
    return hex;
  }

 private:
  static FakeHost* self(kazasu_context* c) { return reinterpret_cast<FakeHost*>(c); }
  kazasu_context* ctx() { return reinterpret_cast<kazasu_context*>(this); }

  kazasu_status add(const char* event, const char* fields, bool retained) {
    auto j = nlohmann::json::parse(fields, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return KAZASU_INVALID;
    // The real host refuses fields it sets itself (docs/plugins.md, Outcomes).
    for (const char* reserved : {"schema", "id", "ts", "site", "station", "reader", "plugin", "event"}) {
      if (j.contains(reserved)) return KAZASU_INVALID;
    }
    j["reader"] = reader_;  // as the host does: the tap's reader, empty for commands and timers
    pending_.push_back(Published{event, std::move(j), retained});
    return KAZASU_OK;
  }
  template <class F>
  kazasu_status in_transaction(F&& f) {
    sqlite3_exec(db_.get(), "BEGIN", nullptr, nullptr, nullptr);
    pending_.clear();
    const kazasu_status st = f();
    sqlite3_exec(db_.get(), st == KAZASU_OK ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);
    if (st == KAZASU_OK) published_.insert(published_.end(), pending_.begin(), pending_.end());
    pending_.clear();
    return st;
  }

  std::string config_;
  std::string reader_;
  int64_t now_;
  struct CloseDb {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, CloseDb> db_;
  kazasu_host table_{};
  const kazasu_plugin_descriptor* plugin_ = nullptr;
  void* instance_ = nullptr;
  std::vector<Published> pending_;
  std::vector<Published> published_;
  std::map<uint64_t, int64_t> timers_;
  nlohmann::json reply_;
};

}  // namespace kazasu::attendance::test
