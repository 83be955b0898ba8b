// Throws from on_tap: the tap must get an `error` outcome and the daemon live.
#include <kazasu/plugin.hpp>
#include <stdexcept>

class Thrower : public kazasu::Plugin {
 public:
  explicit Thrower(kazasu::Host host) : Plugin(host) {}
  void on_tap(const kazasu::Tap&) override {
    publish("never", "{}");  // rolled back with the transaction
    throw std::runtime_error("thrower always throws");
  }
};

KAZASU_PLUGIN(Thrower, "thrower", "1.0.0", "Throws on every tap.")
