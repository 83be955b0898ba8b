// What kazasud knows about the disk under its data directory, so a full disk
// is an alarm and an answer at the reader instead of a silent loss:
//   ok          free space at or above [storage] alarm_free_mb
//   low         below it: every commit still works, staff should act now
//   unavailable a commit failed because the disk did (full, I/O error); taps
//               are answered `storage_unavailable` from memory until a write
//               works again
// Free space is read every second. While unavailable, the check also tries a
// small write (the probe); the first write that works, the probe's or a
// plugin's, ends the state. Used on the io thread only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace kazasu {

class StorageHealth {
 public:
  enum class State { ok, low, unavailable };
  /** Tries a small durable write; returns an error sentence, or nullopt when it worked. */
  using Probe = std::function<std::optional<std::string>()>;
  /** Called on every change of state, with a staff-readable sentence. */
  using Report = std::function<void(State state, const std::string& message)>;

  StorageHealth(boost::asio::io_context& io, std::filesystem::path dir, uint64_t alarm_free_bytes, Probe probe,
                Report report);

  /** A commit failed for a storage reason (`detail` is SQLite's sentence). */
  void commit_failed(const std::string& detail);
  /** A commit worked: the disk takes writes again. */
  void commit_succeeded();
  /** Reads free space (and probes while unavailable); the timer calls it every second. */
  void check();

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] uint64_t free_bytes() const { return free_bytes_; }
  [[nodiscard]] uint64_t alarm_free_bytes() const { return alarm_free_bytes_; }
  [[nodiscard]] const std::string& last_failure() const { return last_failure_; }
  void stop() { timer_.cancel(); }

 private:
  void arm();
  void set(State s, const std::string& message);
  [[nodiscard]] State space_state() const;

  boost::asio::steady_timer timer_;
  std::filesystem::path dir_;
  uint64_t alarm_free_bytes_;
  Probe probe_;
  Report report_;
  State state_ = State::ok;
  uint64_t free_bytes_ = UINT64_MAX;
  std::string last_failure_;
};

const char* to_string(StorageHealth::State s);

}  // namespace kazasu
