// A test plugin for the shared-state fault case: every tap appends one entry
// to the city's shared ledger (key `stream`, entry id the tap id, amount 1) in
// the tap's transaction, and publishes `appender/appended` with the append's
// status. shared_append is local first, so the tap never waits for the
// engine: the entry reaches it later, through the host's replayer.
#include <kazasu/plugin.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using nlohmann::json;

class Appender : public kazasu::Plugin {
 public:
  static constexpr kazasu_setting kSettings[] = {
      {"stream", KAZASU_SETTING_STRING, "\"taps\"", "The shared ledger key every tap appends to.", 0, 0},
  };

  explicit Appender(kazasu::Host host) : Plugin(host) {
    stream_ = json::parse(host.config_json()).at("stream").get<std::string>();
  }

  void on_tap(const kazasu::Tap& tap) override {
    const std::string id(tap.id);
    const auto s = host().append(stream_, id, json{{"reader", tap.reader}}.dump(), 1);
    publish(s == KAZASU_SHARED_OK ? "appended" : "append_refused",
            json{{"stream", stream_}, {"ok", s == KAZASU_SHARED_OK}, {"status", static_cast<int>(s)}}.dump());
  }

 private:
  std::string stream_;
};

}  // namespace

KAZASU_PLUGIN(Appender, "appender", "1.0.0", "Appends one shared ledger entry per tap (fault tests).")
