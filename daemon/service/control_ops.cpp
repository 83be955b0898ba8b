#include "service/control_ops.hpp"

#include <kazasu/plugin.h>
#include <algorithm>

#include "audit/audit_log.hpp"
#include "core/clock.hpp"
#include "service/control_socket.hpp"
#include "service/outcome_tap.hpp"

#ifndef KAZASU_VERSION
#define KAZASU_VERSION "0.0.0"
#endif

namespace kazasu::control_ops {

nlohmann::json readers(const Config& cfg, const std::map<std::string, std::unique_ptr<ReaderDriver>>& drivers,
                       const std::map<std::string, std::pair<ReaderState, std::string>>& states,
                       const Dispatcher& dispatcher, bool storage_unavailable) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& rc : cfg.readers) {
    nlohmann::json r;
    r["name"] = rc.name;
    const auto d = drivers.find(rc.name);
    r["driver"] = d != drivers.end() ? d->second->driver() : rc.driver;
    std::string state = "starting";
    std::string detail;
    if (auto s = states.find(rc.name); s != states.end()) {
      state = to_string(s->second.first);
      detail = s->second.second;
    }
    if (storage_unavailable) {
      // As readers/{reader} says it: taps are not recorded while the disk refuses writes.
      state = "error";
      detail = "storage unavailable: taps on this reader are not recorded";
    }
    r["state"] = state;
    r["detail"] = detail;
    r["plugins"] = rc.plugins;
    r["accept"] = rc.accept;
    r["level"] = rc.level;
    if (!rc.pcsc_reader.empty()) r["pcsc_reader"] = rc.pcsc_reader;
    const ReaderActivity* act = dispatcher.activity(rc.name);
    r["taps"] = act != nullptr ? act->taps : 0;
    r["last_tap"] = act != nullptr ? nlohmann::json(clock::rfc3339(act->last_tap_unix_ms)) : nullptr;
    r["last_status"] = act != nullptr ? nlohmann::json(act->last_status) : nullptr;
    r["outcomes"] = act != nullptr ? nlohmann::json(act->outcomes) : nlohmann::json::object();
    list.push_back(r);
  }
  return {{"ok", true}, {"readers", list}};
}

nlohmann::json plugins(const PluginHost& host) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : host.plugins()) {
    nlohmann::json j;
    j["name"] = p->name();
    j["state"] = "running";
    j["version"] = p->version();
    j["abi"] = p->abi();
    j["taps"] = p->taps();
    j["errors"] = p->errors();
    j["queued"] = p->queued();
    j["budget_ms"] = p->budget_ms();
    j["commands"] = p->takes_commands();
    list.push_back(j);
  }
  for (const auto& r : host.refused()) {
    nlohmann::json j;
    j["name"] = r.name;
    j["state"] = "refused";
    j["reason"] = r.reason;
    j["message"] = r.message;
    list.push_back(j);
  }
  return {{"ok", true}, {"plugins", list}};
}

nlohmann::json version(const std::string& boot_id) {
  return {{"ok", true},
          {"version", KAZASU_VERSION},
          {"abi", std::to_string(KAZASU_ABI_MAJOR) + "." + std::to_string(KAZASU_ABI_MINOR)},
          {"boot_id", boot_id}};
}

nlohmann::json tail() {
  auto stream = std::make_shared<ControlStream>(kTailMaxLines, kTailMaxBytes);
  if (!OutcomeTap::process().subscribe(stream)) {
    return control_refusal("busy", std::to_string(OutcomeTap::kMaxSubscribers) +
                                       " clients are following outcomes already; try again when one has stopped");
  }
  control_stream(stream);
  return {{"ok", true}, {"tail", true}, {"max_queued", kTailMaxLines}};
}

nlohmann::json audit(const nlohmann::json& req) {
  const auto op = req.find("op");
  if (op == req.end() || !op->is_string() || *op != "export") {
    return control_refusal("bad_field", "\"op\" must be \"export\"");
  }
  int64_t after = 0;
  size_t limit = kAuditPageMax;
  if (auto a = req.find("after"); a != req.end()) {
    if (!a->is_number_integer() || a->get<int64_t>() < 0) {
      return control_refusal("bad_field", "\"after\" must be a sequence number (0 or more)");
    }
    after = a->get<int64_t>();
  }
  if (auto l = req.find("limit"); l != req.end()) {
    if (!l->is_number_integer() || l->get<int64_t>() < 1) {
      return control_refusal("bad_field", "\"limit\" must be 1 or more");
    }
    limit = std::min<size_t>(kAuditPageMax, l->get<uint64_t>());
  }
  const auto file = AuditLog::process_file();
  if (file.empty()) return control_refusal("audit_unavailable", "this kazasud has no audit log open");
  nlohmann::json rows = nlohmann::json::array();
  try {
    audit::Reader reader(file);
    for (const auto& row : reader.rows(after, limit)) {
      // Fields as the stored text: the hash covers exactly these bytes.
      rows.push_back({{"seq", row.seq},
                      {"at_ms", row.at_ms},
                      {"kind", row.kind},
                      {"fields", row.fields},
                      {"prev_hash", row.prev_hash},
                      {"hash", row.hash}});
    }
  } catch (const std::exception& e) {
    return control_refusal("audit_unavailable", std::string("the audit log cannot be read: ") + e.what());
  }
  const bool more = rows.size() == limit;
  return {{"ok", true}, {"rows", std::move(rows)}, {"more", more}, {"file", file.string()}};
}

}  // namespace kazasu::control_ops
