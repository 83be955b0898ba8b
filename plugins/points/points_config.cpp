#include "points_config.hpp"

#include <kazasu/reader_names.hpp>
#include <kazasu/station_time.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace kazasu::points {
namespace {

using nlohmann::json;

constexpr size_t kMaxItems = 500;
constexpr size_t kMaxSpecBytes = 512;
constexpr int64_t kMaxPoints = 1'000'000'000;

[[noreturn]] void fail(const std::string& key, const std::string& what) {
  throw std::invalid_argument(key + ": " + what);
}

// Joins the parts of a sentence (in loops, without a temporary per `+`).
std::string words(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const auto p : parts) out += p;
  return out;
}

std::vector<std::string> string_list(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  const json& v = j[key];
  if (!v.is_array()) fail(key, "expected a list of strings");
  if (v.size() > kMaxItems) fail(key, "at most " + std::to_string(kMaxItems) + " entries");
  for (const auto& item : v) {
    if (!item.is_string()) fail(key, "expected a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

// "a=1 b=2": the pairs of one spec, each key once and known. Linear, bounded.
std::map<std::string, std::string> spec(const std::string& key, const std::string& text,
                                        std::initializer_list<const char*> known) {
  if (text.size() > kMaxSpecBytes) fail(key, "an entry is longer than 512 bytes");
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    const size_t end = std::min(text.find(' ', i), text.size());
    const std::string pair = text.substr(i, end - i);
    i = end;
    const size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size()) {
      fail(key, words({"\"", pair, "\" is not key=value (in \"", text, "\")"}));
    }
    const std::string name = pair.substr(0, eq);
    bool ok = false;
    for (const char* k : known) ok = ok || name == k;
    if (!ok) fail(key, words({"unknown key \"", name, "\" in \"", text, "\""}));
    if (!out.emplace(name, pair.substr(eq + 1)).second)
      fail(key, words({"\"", name, "\" given twice in \"", text, "\""}));
  }
  return out;
}

std::string need(const std::string& key, const std::map<std::string, std::string>& s, const char* name,
                 const std::string& text) {
  const auto it = s.find(name);
  if (it == s.end()) fail(key, std::string("\"") + name + "\" missing in \"" + text + "\"");
  return it->second;
}

std::string id_of(const std::string& key, const std::map<std::string, std::string>& s, const char* name,
                  const std::string& text) {
  std::string v = need(key, s, name, text);
  if (!valid_id(v))
    fail(key, std::string("\"") + name + "\" must be 1 to 32 of A-Z, a-z, 0-9, _, - in \"" + text + "\"");
  return v;
}

int64_t number(const std::string& key, const std::string& v, int64_t min, const std::string& text) {
  if (v.empty() || v.size() > 10) fail(key, "\"" + v + "\" is not a number in \"" + text + "\"");
  int64_t n = 0;
  for (const char c : v) {
    if (c < '0' || c > '9') fail(key, words({"\"", v, "\" is not a number in \"", text, "\""}));
    n = n * 10 + (c - '0');
  }
  if (n < min || n > kMaxPoints) {
    fail(key,
         "\"" + v + "\" must be " + std::to_string(min) + " to " + std::to_string(kMaxPoints) + " in \"" + text + "\"");
  }
  return n;
}

}  // namespace

bool valid_id(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

int fiscal_year(std::string_view day, int start_month) {
  const auto n = parse_day(day);
  if (!n) return 0;
  const Civil c = civil_from_days(*n);
  return c.m >= start_month ? c.y : c.y - 1;
}

const std::string& PointsConfig::facility_of(const std::string& reader) const {
  const auto it = facility_readers.find(reader);
  return it != facility_readers.end() ? it->second : facility;
}

PointsConfig parse_config(const std::string& config_json) {
  const json j = json::parse(config_json);
  PointsConfig c;
  if (!j.contains("facility") || !j["facility"].is_string()) {
    fail("facility", "required (this station's facility id)");
  }
  c.facility = j["facility"].get<std::string>();
  if (!valid_id(c.facility)) fail("facility", "\"" + c.facility + "\" is not an id (A-Z, a-z, 0-9, _, -; at most 32)");

  for (const auto& item : string_list(j, "facility_readers")) {
    const size_t eq = item.find('=');
    const std::string reader = item.substr(0, eq == std::string::npos ? 0 : eq);
    const std::string facility = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (!valid_reader_name(reader) || !valid_id(facility)) {
      fail("facility_readers", "\"" + item + "\" is not reader=facility");
    }
    c.facility_readers[reader] = facility;
  }
  for (const auto& item : string_list(j, "rules")) {
    const auto s = spec("rules", item, {"facility", "points", "per_day"});
    FacilityRule r;
    r.facility = id_of("rules", s, "facility", item);
    r.points = number("rules", need("rules", s, "points", item), 1, item);
    r.per_day = s.contains("per_day") ? number("rules", s.at("per_day"), 1, item) : 1;
    if (!c.rules.emplace(r.facility, r).second) fail("rules", "facility \"" + r.facility + "\" has two rules");
  }
  std::set<std::string> events;
  for (const auto& item : string_list(j, "events")) {
    const auto s = spec("events", item, {"event", "facility", "points", "from", "to"});
    EventRule e;
    e.event = id_of("events", s, "event", item);
    e.facility = id_of("events", s, "facility", item);
    e.points = number("events", need("events", s, "points", item), 1, item);
    e.from = need("events", s, "from", item);
    e.to = need("events", s, "to", item);
    const auto from = station_time_ms(e.from, 0);
    const auto to = station_time_ms(e.to, 0);
    if (!from || !to || e.from[10] != 'T' || e.to[10] != 'T') {
      fail("events", "from and to must be station times YYYY-MM-DDTHH:MM in \"" + item + "\"");
    }
    if (*from >= *to) fail("events", "from must be before to in \"" + item + "\"");
    if (!events.insert(e.event).second) fail("events", "event \"" + e.event + "\" is listed twice");
    c.events.push_back(e);
  }
  for (const auto& item : string_list(j, "prizes")) {
    const auto s = spec("prizes", item, {"prize", "cost", "stock", "kind"});
    Prize p;
    p.prize = id_of("prizes", s, "prize", item);
    p.cost = number("prizes", need("prizes", s, "cost", item), 1, item);
    p.kind = s.contains("kind") ? s.at("kind") : "prize";
    if (p.kind != "prize" && p.kind != "draw") fail("prizes", "kind must be prize or draw in \"" + item + "\"");
    if (s.contains("stock")) p.stock = number("prizes", s.at("stock"), 0, item);
    if (p.kind == "prize" && !p.stock) fail("prizes", "a prize needs a stock (kind=draw has none) in \"" + item + "\"");
    if (p.kind == "draw" && p.stock) fail("prizes", "a draw entry has no stock in \"" + item + "\"");
    if (!c.prizes.emplace(p.prize, p).second) fail("prizes", "prize \"" + p.prize + "\" is listed twice");
  }
  for (const auto& item : string_list(j, "projects")) {
    const auto s = spec("projects", item, {"project", "target", "from", "to"});
    Project p;
    p.project = id_of("projects", s, "project", item);
    p.target = number("projects", need("projects", s, "target", item), 1, item);
    p.from = need("projects", s, "from", item);
    p.to = need("projects", s, "to", item);
    if (!valid_day(p.from) || !valid_day(p.to))
      fail("projects", "from and to must be days YYYY-MM-DD in \"" + item + "\"");
    if (p.from > p.to) fail("projects", "from must not be after to in \"" + item + "\"");
    if (!c.projects.emplace(p.project, p).second) fail("projects", "project \"" + p.project + "\" is listed twice");
  }
  for (const auto& r : string_list(j, "balance_readers")) {
    if (!valid_reader_name(r)) fail("balance_readers", "\"" + r + "\" is not a reader name");
    c.balance_readers.insert(r);
  }
  c.register_reader = j.value("register_reader", std::string());
  if (!c.register_reader.empty() && !valid_reader_name(c.register_reader)) {
    fail("register_reader", "\"" + c.register_reader + "\" is not a reader name ([A-Za-z0-9_-], at most 64)");
  }
  c.register_timeout_ms = j.value("register_timeout_s", int64_t{120}) * 1000;
  c.yearly_cap = j.value("yearly_cap", int64_t{5000});
  c.fiscal_year_start_month = static_cast<int>(j.value("fiscal_year_start_month", int64_t{4}));
  c.close_rule = j.value("close_rule", std::string("forfeit"));
  if (c.close_rule != "forfeit" && c.close_rule != "donate") {
    fail("close_rule", "expected forfeit or donate, found \"" + c.close_rule + "\"");
  }
  c.close_project = j.value("close_project", std::string());
  if (c.close_rule == "donate" && !c.projects.contains(c.close_project)) {
    fail("close_project", "close_rule donate needs a close_project listed in projects");
  }
  c.short_rule = j.value("short_rule", std::string("refund"));
  if (c.short_rule != "refund" && c.short_rule != "keep") {
    fail("short_rule", "expected refund or keep, found \"" + c.short_rule + "\"");
  }
  c.sync_interval_ms = j.value("sync_interval_s", int64_t{30}) * 1000;
  c.history_limit = j.value("history_limit", int64_t{20});
  return c;
}

}  // namespace kazasu::points
