// The control socket's commands (kazasuctl): tap, pin, clock, status and reload; readers,
// plugins, version, tail and audit are in control_ops.cpp.
#include <openssl/crypto.h>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "readers/sim_reader.hpp"
#include "service/control_ops.hpp"
#include "service/station.hpp"

namespace kazasu {
namespace {

// A string field of a control request; a missing one is `fallback`, any other type a refusal.
std::string string_field(const nlohmann::json& req, const char* key, const char* fallback = "") {
  const auto it = req.find(key);
  if (it == req.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw ControlError("bad_field", std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

}  // namespace

nlohmann::json Station::control(const nlohmann::json& req) {
  const std::string cmd = req["cmd"].get<std::string>();
  if (cmd == "tap") return control_tap(req);
  if (cmd == "pin") return control_pin(req);
  if (cmd == "clock") return control_clock(req);
  if (cmd == "status") return control_status();
  if (cmd == "readers") {
    return control_ops::readers(cfg_, readers_, driver_states_, dispatcher_,
                                storage_.state() == StorageHealth::State::unavailable);
  }
  if (cmd == "plugins") return control_ops::plugins(plugins_);
  if (cmd == "version") return control_ops::version(boot_id_);
  if (cmd == "tail") return control_ops::tail();
  if (cmd == "audit") return control_ops::audit(req);
  if (cmd == "reload") return reload(std::chrono::milliseconds(100));
  if (cmd == "plugin_clear") return clear_plugin(string_field(req, "plugin"));
  return control_refusal("unknown_command", "unknown command \"" + cmd.substr(0, 64) + "\"");
}

nlohmann::json Station::control_tap(const nlohmann::json& req) {
  const std::string reader = string_field(req, "reader");
  const std::string card = string_field(req, "card");
  auto it = readers_.find(reader);
  if (it == readers_.end()) return control_refusal("unknown_reader", "no reader named \"" + reader + "\"");
  auto* sim = dynamic_cast<SimReader*>(it->second.get());
  if (sim == nullptr) return control_refusal("not_simulated", "reader " + reader + " is not a simulated reader");
  auto id = sim->tap(card);
  if (!id) return control_refusal(id.error().reason, id.error().message);
  return {{"ok", true}, {"id", id.value()}};
}

nlohmann::json Station::control_pin(const nlohmann::json& req) {
  // Never logged; the request's own copy dies with the request.
  const std::string reader = string_field(req, "reader");
  std::string pin = string_field(req, "pin");
  const auto purpose = parse_pin_purpose(string_field(req, "for", "auth"));
  std::string code;
  std::string error;
  if (readers_.find(reader) == readers_.end()) {
    code = "unknown_reader";
    error = "no reader named \"" + reader + "\"";
  } else if (!purpose) {
    code = "bad_field";
    error = "\"for\" is \"auth\" (the JPKI auth PIN) or \"basic_info\" (the card-face PIN)";
  } else if (!auth_pin_format_ok(pin)) {
    code = "bad_pin_format";
    error = std::string(*purpose == PinPurpose::auth ? "the auth PIN" : "the card-face PIN") + " is 4 digits";
  }
  if (!error.empty()) {
    OPENSSL_cleanse(pin.data(), pin.size());
    return control_refusal(code, error);
  }
  pins_.arm(reader, *purpose, pin);
  return {{"ok", true}, {"for", to_string(*purpose)}, {"ttl_ms", cfg_.identify.pin_ttl_ms}};
}

nlohmann::json Station::control_clock(const nlohmann::json& req) {
  if (!cfg_.settable_clock) {
    return control_refusal("not_allowed", "the clock is not settable ([diagnostics] settable_clock)");
  }
  int64_t at = 0;
  if (!clock::parse_rfc3339(string_field(req, "set"), at)) {
    return control_refusal("bad_field", "expected \"set\": an RFC 3339 time such as 2027-04-01T00:00:00+09:00");
  }
  clock::set_offset_ms(0);
  clock::set_offset_ms(at - clock::now_unix_ms());
  log::notice("wall clock set", "now", clock::rfc3339(clock::now_unix_ms()));
  return {{"ok", true}, {"now", clock::rfc3339(clock::now_unix_ms())}};
}

nlohmann::json Station::control_status() {
  const StorageFacts storage = storage_facts();
  nlohmann::json j = status_payload(topics_, facts_, boot_ms_, "online", &storage);
  j["ok"] = true;
  j["mqtt"] = publisher_.connected() ? "connected" : "disconnected";
  j["queued"] = publisher_.queued();
  // Of those, how many memory holds (at most Publisher::kMaxHeld) and how many wait in the outbox files.
  j["queued_held"] = publisher_.held();
  j["queued_on_disk"] = publisher_.on_disk();
  j["taps_in_flight"] = dispatcher_.in_flight();
  const auto shared = shared_.facts();
  j["shared"] = {{"engine", shared.engine},
                 {"reachable", shared.reachable},
                 {"queued_entries", shared.queued},
                 {"conflicts", shared.conflicts},
                 {"released_claims", shared.released_claims}};
  for (auto& p : j["plugins"]) {
    const PluginInstance* inst = plugins_.find(p["name"].get<std::string>());
    p["taps"] = inst->taps();
    p["errors"] = inst->errors();
  }
  return j;
}

}  // namespace kazasu
