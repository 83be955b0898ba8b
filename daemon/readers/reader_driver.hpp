// The reader-driver seam: a driver owns one reader, notices cards, and hands
// each read to the daemon as a CardRead on the io thread. Drivers: `sim`
// (in-process, taps from kazasuctl); PC/SC comes with its own issue.
#pragma once

#include <functional>
#include <string>

#include "core/result.hpp"
#include "core/tap.hpp"
#include "identify/basic_four.hpp"

namespace kazasu {

/** One card on one reader, identified or not. */
struct CardRead {
  std::string reader;
  int64_t detected_unix_ms = 0;
  StageTimes times;
  Result<CardIdentity> identity = Error{"read_failed", "nothing was read"};
  BasicInfoRead basic_info;  // status "" unless a plugin of the reader is granted card.basic_info
};

/** Reader states published retained under readers/{reader}. */
enum class ReaderState { ready, card_present, error };

inline const char* to_string(ReaderState s) {
  switch (s) {
    case ReaderState::ready:
      return "ready";
    case ReaderState::card_present:
      return "card_present";
    case ReaderState::error:
      return "error";
  }
  return "error";
}

class ReaderDriver {
 public:
  /** Returns the id the daemon gave the tap. */
  using ReadSink = std::function<std::string(CardRead)>;
  using StateSink = std::function<void(const std::string& reader, ReaderState, const std::string& detail)>;

  virtual ~ReaderDriver() = default;
  [[nodiscard]] virtual const std::string& name() const = 0;
  [[nodiscard]] virtual const char* driver() const = 0;
  /** Starts watching; both sinks are invoked on the io thread. */
  virtual void start(ReadSink on_read, StateSink on_state) = 0;
  virtual void stop() = 0;
  /**
   * When a driver's own worker last went round its loop (monotonic ns), for
   * the watchdog; -1 for a driver without a worker (it lives on the io thread).
   */
  [[nodiscard]] virtual int64_t last_progress_ns() const { return -1; }
};

}  // namespace kazasu
