// The example plugin: the smallest useful plugin, and the template to copy.
// It answers every tap with an outcome and counts taps per card token in its
// own SQLite database.
//
// Topics: example/seen (an identified card), example/refused (a tap whose card
// could not be identified). Command: example/cmd/count {"token": "..."} answers
// {"taps": N} for that token.
#include <kazasu/plugin.hpp>
#include <kazasu/sqlite.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace {

class Example : public kazasu::Plugin {
 public:
  // Declared settings: the host validates [plugins.example.config] against
  // these and `kazasud --help-plugin example` prints them.
  static constexpr kazasu_setting kSettings[] = {
      {"greeting", KAZASU_SETTING_STRING, "\"welcome\"", "Text sent with every identified tap.", 0, 0},
  };

  explicit Example(kazasu::Host host) : Plugin(host) {
    greeting_ = nlohmann::json::parse(host.config_json()).at("greeting").get<std::string>();
    // The plugin owns its schema; the host opened the database in WAL mode.
    kazasu::db::exec(host.database(),
                     "CREATE TABLE IF NOT EXISTS taps_per_token (token TEXT PRIMARY KEY, taps INTEGER NOT NULL,"
                     " last_tap_id TEXT NOT NULL)");
  }

  void on_tap(const kazasu::Tap& tap) override {
    if (!tap.identified()) {
      publish("refused", nlohmann::json{{"status", tap.status}, {"message", tap.message}}.dump());
      return;
    }
    // Runs inside the host's transaction: the count and the outcome commit together.
    const int64_t taps = count_tap(tap);
    publish("seen", nlohmann::json{{"token", tap.token},
                                   {"card_kind", tap.card_kind},
                                   {"assurance", tap.assurance},
                                   {"taps", taps},
                                   {"greeting", greeting_}}
                        .dump());
  }

  std::string on_command(const kazasu::Command& command) override {
    if (command.name != "count") return Plugin::on_command(command);
    const auto request = nlohmann::json::parse(command.payload_json);
    if (!request.contains("token") || !request["token"].is_string()) {
      throw kazasu::CommandError("missing_field", "count needs a \"token\" string");
    }
    const std::string token = request["token"];
    kazasu::db::Statement st(host().database(), "SELECT taps FROM taps_per_token WHERE token = ?1");
    st.bind(1, token);
    const int64_t taps = st.step() ? st.int64(0) : 0;
    return nlohmann::json{{"taps", taps}}.dump();
  }

 private:
  int64_t count_tap(const kazasu::Tap& tap) {
    kazasu::db::Statement st(host().database(),
                             "INSERT INTO taps_per_token(token, taps, last_tap_id) VALUES (?1, 1, ?2)"
                             " ON CONFLICT(token) DO UPDATE SET taps = taps + 1, last_tap_id = ?2 RETURNING taps");
    st.bind(1, tap.token).bind(2, tap.id);
    if (!st.step()) throw std::runtime_error("counting the tap returned no row");
    return st.int64(0);
  }

  std::string greeting_;
};

}  // namespace

KAZASU_PLUGIN(Example, "example", "0.1.0", "Answers every tap and counts taps per card token.")
