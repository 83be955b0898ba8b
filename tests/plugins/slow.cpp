// Sleeps in on_tap for `sleep_ms`: past its budget the tap gets a `timeout`
// error outcome and what it publishes is rolled back.
#include <chrono>
#include <kazasu/plugin.hpp>
#include <string>
#include <thread>

class Slow : public kazasu::Plugin {
 public:
  static constexpr kazasu_setting kSettings[] = {
      {"sleep_ms", KAZASU_SETTING_INTEGER, "500", "How long each tap takes.", 0, 60000},
  };
  explicit Slow(kazasu::Host host) : Plugin(host) {
    const std::string cfg = host.config_json();
    const auto pos = cfg.find("\"sleep_ms\":");
    sleep_ms_ = std::stoi(cfg.substr(pos + 11));
  }
  void on_tap(const kazasu::Tap&) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
    publish("late", "{}");
  }

 private:
  int sleep_ms_ = 0;
};

KAZASU_PLUGIN(Slow, "slow", "1.0.0", "Takes its time.")
