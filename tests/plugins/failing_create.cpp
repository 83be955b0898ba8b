// Fails in create(): the host must unload it and keep the others.
#include <kazasu/plugin.hpp>
#include <stdexcept>

class FailingCreate : public kazasu::Plugin {
 public:
  explicit FailingCreate(kazasu::Host host) : Plugin(host) { throw std::runtime_error("cannot start"); }
  void on_tap(const kazasu::Tap&) override {}
};

KAZASU_PLUGIN(FailingCreate, "failing_create", "1.0.0", "Never starts.")
