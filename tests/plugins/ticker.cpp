// Arms a timer for `fire_at` (RFC 3339 text is the daemon's job; this takes
// Unix ms) and publishes `tick` when it fires: the timer and the settable
// clock tests use it.
#include <kazasu/plugin.hpp>
#include <string>

class Ticker : public kazasu::Plugin {
 public:
  static constexpr kazasu_setting kSettings[] = {
      {"fire_at_unix_ms", KAZASU_SETTING_INTEGER, nullptr, "When the timer is due.", 0, 0},
  };
  explicit Ticker(kazasu::Host host) : Plugin(host) {
    const std::string cfg = host.config_json();
    const auto pos = cfg.find("\"fire_at_unix_ms\":");
    host.set_timer(7, std::stoll(cfg.substr(pos + 18)));
  }
  void on_tap(const kazasu::Tap&) override {}
  void on_timer(uint64_t id, int64_t now_unix_ms) override {
    publish("tick", "{\"timer\":" + std::to_string(id) + ",\"now_unix_ms\":" + std::to_string(now_unix_ms) + "}");
    host().publish_retained("last_tick", "{\"timer\":" + std::to_string(id) + "}");
  }
};

KAZASU_PLUGIN(Ticker, "ticker", "1.0.0", "Fires one timer.")
