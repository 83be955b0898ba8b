// Turns a card read into a tap and hands it to every plugin bound to the
// reader, each on its own strand, with a purpose-bound token and a time
// budget. Committed outcomes go to the publisher; a plugin that fails, throws
// or overruns its budget yields an `error` outcome from the daemon's outbox.
// When the disk refuses the commit, the `error` outcome (reason
// storage_unavailable) goes out from memory if the daemon's outbox cannot
// take it either: the tap is not recorded, but nobody is left unaware.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dispatch/plugin_host.hpp"
#include "identify/token_key.hpp"
#include "mqtt/publisher.hpp"
#include "mqtt/topics.hpp"
#include "outbox/daemon_outbox.hpp"
#include "outbox/storage_health.hpp"
#include "readers/reader_driver.hpp"

namespace kazasu {

/** What a reader has done since the station started (`kazasuctl readers`). */
struct ReaderActivity {
  uint64_t taps = 0;
  int64_t last_tap_unix_ms = 0;
  std::string last_status;  // "ok" or the last read's failure reason
  // "{plugin}/{event}" -> outcomes of this reader's taps; at most kMaxOutcomeKinds keys, then "other".
  std::map<std::string, uint64_t> outcomes;
  static constexpr size_t kMaxOutcomeKinds = 64;
};

class Dispatcher {
 public:
  Dispatcher(boost::asio::io_context& io, PluginHost& plugins, const TokenKey& key, DaemonOutbox& daemon_outbox,
             Publisher& publisher, const Topics& topics, StorageHealth& storage)
      : io_(io),
        plugins_(plugins),
        key_(key),
        daemon_outbox_(daemon_outbox),
        publisher_(publisher),
        topics_(topics),
        storage_(storage) {}

  /** Handles one read on the io thread; returns the new tap's id. */
  std::string on_read(const ReaderConfig& reader, CardRead read);

  /** Taps whose plugins have not all finished. */
  [[nodiscard]] size_t in_flight() const { return in_flight_; }

  /**
   * Publishes `{plugin}/{event}` for `tap` through the daemon's outbox, or
   * from memory when the disk refuses it (io thread).
   */
  void publish_daemon_outcome(const Tap& tap, const std::string& plugin, const std::string& event,
                              const nlohmann::json& fields);

  /** The reader's activity, or null before its first tap (io thread). */
  [[nodiscard]] const ReaderActivity* activity(const std::string& reader) const {
    auto it = activity_.find(reader);
    return it == activity_.end() ? nullptr : &it->second;
  }

 private:
  void dispatch_to(PluginInstance& plugin, const Tap& tap, BasicInfoRead basic_info);
  // Counts the outcomes of one plugin for a tap and records them in the audit log (never the token).
  void note_outcomes(const Tap& tap, const std::string& plugin, const std::vector<std::string>& events,
                     const std::string& result);

  boost::asio::io_context& io_;
  PluginHost& plugins_;
  const TokenKey& key_;
  DaemonOutbox& daemon_outbox_;
  Publisher& publisher_;
  const Topics& topics_;
  StorageHealth& storage_;
  size_t in_flight_ = 0;
  std::map<std::string, ReaderActivity> activity_;  // one per configured reader at most
};

}  // namespace kazasu
