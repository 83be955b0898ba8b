#include "ledger.hpp"

#include <set>
#include <stdexcept>

namespace kazasu::points {

using nlohmann::json;

Stream Ledger::read(const std::string& key, uint32_t limit) const {
  Stream out;
  const kazasu::SharedEntries e = host_.entries(key, limit);
  out.status = e.status;
  if (e.status != KAZASU_SHARED_OK) return out;
  out.sum = e.sum;
  out.count = e.count;
  const json list = json::parse(e.entries_json, nullptr, false);
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    if (!item.is_object()) continue;
    LedgerEntry le;
    le.id = item.value("id", std::string());
    le.body = json::parse(item.value("body", std::string("{}")), nullptr, false);
    if (!le.body.is_object()) le.body = json::object();
    le.amount = item.value("amount", int64_t{0});
    le.station = item.value("station", std::string());
    le.at_ms = item.value("at_unix_ms", int64_t{0});
    le.pending = item.value("pending", false);
    out.entries.push_back(std::move(le));
  }
  // A row the host had sent but not yet deleted when the station stopped is
  // listed twice, as the engine's and as pending, until its replayer catches up
  // (the engine itself holds it once): count it once.
  std::set<std::string> on_engine;
  for (const auto& e : out.entries) {
    if (!e.pending) on_engine.insert(e.id);
  }
  std::vector<LedgerEntry> kept;
  kept.reserve(out.entries.size());
  for (auto& e : out.entries) {
    if (e.pending && on_engine.contains(e.id)) {
      out.sum -= e.amount;
      --out.count;
      continue;
    }
    if (e.pending) ++out.pending;
    kept.push_back(std::move(e));
  }
  out.entries = std::move(kept);
  return out;
}

void Ledger::index(const std::string& key) {
  if (store_.known_stream(key)) return;
  // Amount 0 and a fixed body: the same entry from every station, once.
  const auto st = host_.append(kStreamsIndex, key, "{}", 0);
  if (st != KAZASU_SHARED_OK) throw std::runtime_error("shared_append refused for the streams index");
  store_.remember_stream(key);
}

void Ledger::post(const Movement& m) {
  if (m.amount <= 0) throw std::logic_error("a movement moves a positive amount");
  json body = m.body;
  body["dr"] = m.debit;
  body["cr"] = m.credit;
  const std::string text = body.dump();
  const auto dr = host_.append(m.debit, m.id + ":dr", text, -m.amount);
  const auto cr = host_.append(m.credit, m.id + ":cr", text, m.amount);
  if (dr != KAZASU_SHARED_OK || cr != KAZASU_SHARED_OK) {
    throw std::runtime_error("shared_append refused for movement " + m.id +
                             " status=" + std::to_string(static_cast<int>(dr != KAZASU_SHARED_OK ? dr : cr)));
  }
  index(m.debit);
  index(m.credit);
}

}  // namespace kazasu::points
