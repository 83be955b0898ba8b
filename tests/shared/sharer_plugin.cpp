// A test plugin that exercises every shared-state call (ABI 1.3) the way the
// municipal plugins will: a tap claims its card once across all stations
// (election reception), commands claim, put, get, append and read entries.
// `pause_after_claim_ms` holds a tap between its claim and its commit, so a
// test can kill the station there; `fail_after_claim` makes the tap fail
// after its claim.
#include <kazasu/plugin.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using nlohmann::json;

const char* status_name(kazasu_shared_status s) {
  switch (s) {
    case KAZASU_SHARED_OK:
      return "ok";
    case KAZASU_SHARED_EXISTS:
      return "exists";
    case KAZASU_SHARED_CONFLICT:
      return "conflict";
    case KAZASU_SHARED_NOT_FOUND:
      return "not_found";
    case KAZASU_SHARED_UNAVAILABLE:
      return "unavailable";
    case KAZASU_SHARED_INVALID:
      return "invalid";
    case KAZASU_SHARED_NOT_ALLOWED:
      return "not_allowed";
  }
  return "unknown";
}

json record_json(const kazasu::SharedResult& r) {
  return {{"status", status_name(r.status)},
          {"value", r.record.value},
          {"version", r.record.version},
          {"by_station", r.record.station},
          {"at_unix_ms", r.record.at_unix_ms}};
}

class Sharer : public kazasu::Plugin {
 public:
  static constexpr kazasu_setting kSettings[] = {
      {"pause_after_claim_ms", KAZASU_SETTING_INTEGER, "0", "Hold a tap this long between claim and commit.", 0, 60000},
      {"fail_after_claim", KAZASU_SETTING_BOOLEAN, "false", "Fail every tap after its claim.", 0, 0},
  };

  explicit Sharer(kazasu::Host host) : Plugin(host) {
    const auto cfg = json::parse(host.config_json());
    pause_ms_ = cfg.at("pause_after_claim_ms").get<int64_t>();
    fail_ = cfg.at("fail_after_claim").get<bool>();
  }

  void on_tap(const kazasu::Tap& tap) override {
    if (!tap.identified()) return;
    const auto r = host().claim("card:" + std::string(tap.token), json{{"tap", tap.id}}.dump());
    if (pause_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms_));
    if (fail_) throw std::runtime_error("failing after the claim, as configured");
    json out = record_json(r);
    out["token"] = tap.token;
    publish(r.ok() ? "received" : "refused", out.dump());
  }

  std::string on_command(const kazasu::Command& command) override {
    const auto req = json::parse(command.payload_json);
    const std::string key = req.value("key", "");
    if (command.name == "claim") return record_json(host().claim(key, req.value("value", "{}"))).dump();
    if (command.name == "get") return record_json(host().get(key)).dump();
    if (command.name == "put") {
      std::optional<std::string> value;
      if (req.contains("value") && req["value"].is_string()) value = req["value"].get<std::string>();
      return record_json(host().put(key, value, req.value("expected", int64_t{-1}))).dump();
    }
    if (command.name == "append") {
      const auto s = host().append(key, req.value("id", ""), req.value("body", "{}"), req.value("amount", int64_t{0}));
      return json{{"status", status_name(s)}}.dump();
    }
    if (command.name == "entries") {
      const auto e = host().entries(key, req.value("limit", 20u));
      return json{{"status", status_name(e.status)},
                  {"sum", e.sum},
                  {"count", e.count},
                  {"entries", json::parse(e.entries_json)}}
          .dump();
    }
    return Plugin::on_command(command);
  }

 private:
  int64_t pause_ms_ = 0;
  bool fail_ = false;
};

}  // namespace

KAZASU_PLUGIN(Sharer, "sharer", "1.0.0", "Exercises shared state in tests.")
