#include "readers/sim_reader.hpp"

#include "core/clock.hpp"
#include "core/log.hpp"

namespace kazasu {

SimReader::SimReader(const ReaderConfig& cfg, const std::map<std::string, SimCardConfig>& cards)
    : cfg_(cfg), cards_(cards) {}

void SimReader::start(ReadSink on_read, StateSink on_state) {
  on_read_ = std::move(on_read);
  on_state_ = std::move(on_state);
  running_ = true;
  log::warning("reader uses the simulated driver; its taps come from kazasuctl, not from a card", "reader", cfg_.name);
  on_state_(cfg_.name, ReaderState::ready, "simulated reader");
}

void SimReader::stop() {
  running_ = false;
}

Result<std::string> SimReader::tap(const std::string& card) {
  if (!running_) return Error{"reader_stopped", "reader " + cfg_.name + " is not running"};
  auto it = cards_.find(card);
  if (it == cards_.end()) return Error{"unknown_card", "no simulated card named \"" + card + "\" in [sim.cards]"};
  const SimCardConfig& c = it->second;

  CardRead read;
  read.reader = cfg_.name;
  read.detected_unix_ms = clock::now_unix_ms();
  read.times.detected_ns = clock::monotonic_ns();
  if (c.result != "ok") {
    read.identity = Error{c.result, c.message.empty() ? "simulated failure: " + c.result : c.message};
  } else {
    const std::string assurance = c.kind == "uid" ? "uid" : c.kind == "jpki" ? cfg_.level : "fast";
    read.identity = CardIdentity{c.kind, assurance, c.issuer, c.subject};
  }
  read.times.identified_ns = clock::monotonic_ns();
  return on_read_(std::move(read));
}

}  // namespace kazasu
