#include "caps.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace kazasu::points {
namespace {

std::string text(const nlohmann::json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t integer(const nlohmann::json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

bool offline(const nlohmann::json& body) {
  const auto it = body.find("offline");
  return it != body.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

int64_t visits_on(const std::vector<LedgerEntry>& entries, const std::string& facility, const std::string& day) {
  int64_t n = 0;
  for (const auto& e : entries) {
    const std::string kind = text(e.body, "kind");
    if (text(e.body, "facility") != facility || text(e.body, "day") != day) continue;
    if (kind == "visit") ++n;
    if (kind == "correction" && text(e.body, "rule") == "daily_limit") --n;
  }
  return n;
}

int64_t bonuses_of(const std::vector<LedgerEntry>& entries, const std::string& event) {
  int64_t n = 0;
  for (const auto& e : entries) {
    const std::string kind = text(e.body, "kind");
    if (text(e.body, "event") != event) continue;
    if (kind == "bonus") ++n;
    if (kind == "correction" && text(e.body, "rule") == "event_once") --n;
  }
  return n;
}

int64_t earned_in(const std::vector<LedgerEntry>& entries, int fy) {
  int64_t sum = 0;
  for (const auto& e : entries) {
    const std::string kind = text(e.body, "kind");
    if (integer(e.body, "fy") != fy) continue;
    if (kind == "visit" || kind == "bonus" || kind == "correction") sum += e.amount;
  }
  return sum;
}

std::optional<Verdict> judge_offline(const std::vector<LedgerEntry>& entries, const std::string& entry_id) {
  // What the online awards hold: counted whole, whenever they arrived.
  std::map<std::pair<std::string, std::string>, int64_t> visits;  // (facility, day)
  std::map<std::string, int64_t> bonuses;                         // event
  std::map<int64_t, int64_t> earned;                              // fy
  for (const auto& e : entries) {
    const std::string kind = text(e.body, "kind");
    if ((kind != "visit" && kind != "bonus") || offline(e.body)) continue;
    if (kind == "visit") ++visits[{text(e.body, "facility"), text(e.body, "day")}];
    if (kind == "bonus") ++bonuses[text(e.body, "event")];
    earned[integer(e.body, "fy")] += e.amount;
  }
  // The offline awards in the order the engine received them (oldest first),
  // each counted as what it is allowed to keep.
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    const LedgerEntry& e = *it;
    if (e.pending) break;  // pending entries come after every entry the engine has
    const std::string kind = text(e.body, "kind");
    if ((kind != "visit" && kind != "bonus") || !offline(e.body)) continue;
    const int64_t fy = integer(e.body, "fy");
    const int64_t cap = integer(e.body, "cap");
    Verdict v{e.amount, e.amount, ""};
    if (kind == "visit") {
      const auto key = std::make_pair(text(e.body, "facility"), text(e.body, "day"));
      if (visits[key] >= std::max<int64_t>(1, integer(e.body, "per_day"))) v = Verdict{e.amount, 0, "daily_limit"};
    } else if (bonuses[text(e.body, "event")] >= 1) {
      v = Verdict{e.amount, 0, "event_once"};
    }
    if (v.allowed > 0 && cap > 0 && earned[fy] + v.allowed > cap) {
      v.allowed = std::max<int64_t>(0, cap - earned[fy]);
      v.rule = "yearly_cap";
    }
    if (v.allowed > 0) {
      if (kind == "visit") ++visits[{text(e.body, "facility"), text(e.body, "day")}];
      if (kind == "bonus") ++bonuses[text(e.body, "event")];
      earned[fy] += v.allowed;
    }
    if (e.id == entry_id) return v;
  }
  return std::nullopt;
}

}  // namespace kazasu::points
