// The `sim` driver: an in-process reader whose cards are profiles from the
// config's [sim.cards], tapped with `kazasuctl tap --reader R --card NAME`
// through the control socket. For the demo and for plugin developers without
// hardware; only an explicit `driver = "sim"` enables it.
#pragma once

#include <map>
#include <string>

#include "config/config.hpp"
#include "readers/reader_driver.hpp"

namespace kazasu {

class SimReader : public ReaderDriver {
 public:
  SimReader(const ReaderConfig& cfg, const std::map<std::string, SimCardConfig>& cards);

  [[nodiscard]] const std::string& name() const override { return cfg_.name; }
  [[nodiscard]] const char* driver() const override { return "sim"; }
  void start(ReadSink on_read, StateSink on_state) override;
  void stop() override;

  /**
   * Taps card profile `card` (on the io thread) and returns the tap's id; an
   * error when there is no such card or the reader is stopped.
   */
  Result<std::string> tap(const std::string& card);

 private:
  ReaderConfig cfg_;
  const std::map<std::string, SimCardConfig>& cards_;
  ReadSink on_read_;
  StateSink on_state_;
  bool running_ = false;
};

}  // namespace kazasu
