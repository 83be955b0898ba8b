#include "service/outcome_tap.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "audit/audit_log.hpp"
#include "service/control_socket.hpp"

namespace kazasu {

OutcomeTap& OutcomeTap::process() {
  static OutcomeTap tap;
  return tap;
}

bool OutcomeTap::is_link_event(std::string_view event) {
  return event == "linked" || event == "unlinked" || event == "link_refused";
}

void OutcomeTap::prune() {
  std::erase_if(streams_, [](const std::weak_ptr<ControlStream>& w) {
    auto s = w.lock();
    return !s || s->ended();
  });
}

bool OutcomeTap::subscribe(const std::shared_ptr<ControlStream>& stream) {
  prune();
  if (streams_.size() >= kMaxSubscribers) return false;
  streams_.push_back(stream);
  return true;
}

size_t OutcomeTap::subscribers() {
  prune();
  return streams_.size();
}

void OutcomeTap::publish(const std::string& topic, const std::string& payload, bool retained) {
  // `{root}{plugin}/{event}`: the last two segments.
  const size_t last = topic.rfind('/');
  const std::string_view event =
      last == std::string::npos ? std::string_view() : std::string_view(topic).substr(last + 1);
  if (is_link_event(event)) {
    const size_t before = last == 0 ? std::string::npos : topic.rfind('/', last - 1);
    const size_t start = before == std::string::npos ? 0 : before + 1;
    const std::string_view plugin = std::string_view(topic).substr(start, last - start);
    nlohmann::json fields{{"plugin", plugin}, {"event", event}};
    // Only the envelope: the plugin's own fields (a patron number, a voter) stay out of the audit log.
    const auto p = nlohmann::json::parse(payload, nullptr, false);
    if (p.is_object()) {
      for (const char* key : {"id", "reader"}) {
        if (auto it = p.find(key); it != p.end() && it->is_string()) fields[key] = *it;
      }
    }
    AuditLog::record("link", fields);
  }
  if (streams_.empty()) return;
  // The payload is the envelope kazasud built (compact JSON), so it is embedded as it is.
  std::string line = R"({"topic":)" +
                     nlohmann::json(topic).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                     (retained ? R"(,"retained":true)" : "") + R"(,"payload":)" + payload + "}";
  bool gone = false;
  for (const auto& w : streams_) {
    auto s = w.lock();
    if (!s || !s->push(line)) gone = true;
  }
  if (gone) prune();
}

}  // namespace kazasu
