// Calls the host where it may not: publish and publish_retained from create()
// (outside any tap), reply and reply_error inside on_tap (not a command). The
// host's answers go out in its one `seen` outcome, so the dispatch test can
// check each was KAZASU_NOT_ALLOWED and that nothing else reached the outbox.
#include <kazasu/plugin.hpp>
#include <string>

class Outsider : public kazasu::Plugin {
 public:
  explicit Outsider(kazasu::Host host) : Plugin(host) {
    try {
      host.publish("early", "{}");
      create_publish_ = KAZASU_OK;
    } catch (const kazasu::HostError& e) {
      create_publish_ = e.status();
    }
    try {
      host.publish_retained("early_retained", "{}");
      create_publish_retained_ = KAZASU_OK;
    } catch (const kazasu::HostError& e) {
      create_publish_retained_ = e.status();
    }
  }
  void on_tap(const kazasu::Tap&) override {
    const kazasu_status reply = host().reply("{}");
    const kazasu_status reply_error = host().reply_error("nope", "not a command");
    publish("seen", "{\"create_publish\":" + std::to_string(create_publish_) + ",\"create_publish_retained\":" +
                        std::to_string(create_publish_retained_) + ",\"reply\":" + std::to_string(reply) +
                        ",\"reply_error\":" + std::to_string(reply_error) + "}");
  }

 private:
  int create_publish_ = -1;
  int create_publish_retained_ = -1;
};

KAZASU_PLUGIN(Outsider, "outsider", "1.0.0", "Calls the host outside a tap.")
