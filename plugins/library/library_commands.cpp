// Commands from the circulation PC: link (arm a reader), unlink, stats.
// Every refusal carries a machine-readable code and a sentence for staff.
#include <initializer_list>
#include <kazasu/command_fields.hpp>
#include <kazasu/station_time.hpp>

#include "library_plugin.hpp"

namespace kazasu::library {
namespace {

using kazasu::CommandError;
using nlohmann::json;

// Patron numbers are the ILS's barcodes: printable ASCII without the SIP2
// field delimiter '|', so they travel unchanged in AA.
bool valid_patron(const std::string& p) {
  if (p.empty() || p.size() > 64) return false;
  for (const char c : p) {
    if (c < 0x21 || c > 0x7E || c == '|') return false;
  }
  return true;
}

std::string patron_field(const json& request) {
  std::string p = *kazasu::fields::string(request, "patron", true);
  if (!valid_patron(p)) {
    throw CommandError("invalid_patron", "\"patron\" must be 1 to 64 printable ASCII characters without '|'");
  }
  return p;
}

}  // namespace

std::string LibraryPlugin::on_command(const kazasu::Command& command) {
  const json request = json::parse(command.payload_json, nullptr, false);
  if (request.is_discarded()) throw CommandError("malformed_json", "the command is not valid JSON");
  if (!request.is_object()) throw CommandError("not_an_object", "the command must be a JSON object");
  if (command.name == "link") return link_command(request, command);
  if (command.name == "unlink") return unlink_command(request);
  if (command.name == "stats") return stats_command(request);
  return Plugin::on_command(command);
}

std::string LibraryPlugin::link_command(const json& request, const kazasu::Command& command) {
  kazasu::fields::only(request, {"patron", "reader"});
  const std::string patron = patron_field(request);
  std::string reader = kazasu::fields::string(request, "reader", false).value_or(config_.counter_reader);
  if (reader.empty()) {
    throw CommandError("no_reader", "name a \"reader\" or set counter_reader in the library plugin's config");
  }
  if (!valid_reader_name(reader)) throw CommandError("invalid_reader", "\"reader\" is not a reader name");
  const int64_t now = host().now_unix_ms();
  const int64_t expires = now + config_.link_timeout_ms;
  store_.arm(Arm{reader, patron, expires, std::string(command.id)});
  log(KAZASU_LOG_INFO,
      "reader armed for linking reader=" + reader + " timeout_s=" + std::to_string(config_.link_timeout_ms / 1000));
  return json{{"armed", true},
              {"patron", patron},
              {"reader", reader},
              {"replaces_card", store_.find_by_patron(patron).has_value()},
              {"expires_at", station_rfc3339(expires, host().utc_offset_seconds())},
              {"timeout_s", config_.link_timeout_ms / 1000}}
      .dump();
}

std::string LibraryPlugin::unlink_command(const json& request) {
  kazasu::fields::only(request, {"patron"});
  const std::string patron = patron_field(request);
  store_.disarm_patron(patron);
  switch (links_.unlink(patron)) {
    case SharedLinks::Unlinked::done:
      break;
    case SharedLinks::Unlinked::not_linked:
      throw CommandError("not_linked", "no card is linked to this patron number");
    case SharedLinks::Unlinked::unavailable:
      // An unlink that the other branches would not see is worse than none.
      throw CommandError("shared_unavailable",
                         "the city's link database cannot be reached; the card stays linked, try again later");
  }
  store_.count(today(), "unlinks");
  // Other counters' PCs learn it too; the outcome carries the command's id.
  publish("unlinked", json{{"patron", patron}}.dump());
  return json{{"unlinked", true}, {"patron", patron}}.dump();
}

std::string LibraryPlugin::stats_command(const json& request) {
  kazasu::fields::only(request, {"day"});
  const std::string day = kazasu::fields::string(request, "day", false).value_or(today());
  if (!valid_day(day)) throw CommandError("invalid_day", "\"day\" must be a date written YYYY-MM-DD");
  const auto counts = store_.counts(day);
  auto n = [&](const char* key) {
    const auto it = counts.find(key);
    return it != counts.end() ? it->second : 0;
  };
  return json{{"day", day},
              {"taps", n("taps")},
              {"patrons", n("patrons")},
              {"patron_taps", n("patron_taps")},
              {"links", n("links")},
              {"link_refused", n("link_refused")},
              {"unknown_cards", n("unknown_cards")},
              {"unlinks", n("unlinks")}}
      .dump();
}

}  // namespace kazasu::library
