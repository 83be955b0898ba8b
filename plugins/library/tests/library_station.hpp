// A station for the library plugin's end-to-end tests: a real mosquitto, a
// real kazasud with the library plugin, and a facility PC (an MQTT v5 client)
// that sends commands and sees outcomes.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "broker.hpp"
#include "daemon.hpp"
#include "process.hpp"
#include "subscriber.hpp"

namespace kazasu::test {

inline const std::string kLibraryRoot = "kazasu/v1/test-city/station-1/";

class LibraryStation {
 public:
  /** `extra` is the config after [station] and [mqtt]: plugins, readers, sim cards. */
  LibraryStation(const std::filesystem::path& dir, const std::string& extra)
      : broker_(dir / "broker"),
        daemon_(dir, daemon_config(dir, broker_.uri(), extra)),
        pc_(broker_.uri(), "kazasu/v1/#") {
    if (!pc_.next("/status", std::chrono::seconds(5))) throw std::runtime_error("kazasud never came online");
  }

  /** Sends library/cmd/NAME and returns the reply (schema kazasu/v1/reply). */
  nlohmann::json call(const std::string& name, const std::string& payload) {
    // snprintf, not "c" + to_string(): GCC 12 at -O3 warns falsely (-Wrestrict) on that form.
    char corr[32];
    std::snprintf(corr, sizeof corr, "c%d", ++calls_);
    pc_.publish(kLibraryRoot + "library/cmd/" + name, payload, kLibraryRoot + "replies/pc-1/" + name, corr);
    auto m = pc_.next("/replies/pc-1/" + name, std::chrono::seconds(5));
    if (!m) throw std::runtime_error("no reply to library/cmd/" + name);
    return nlohmann::json::parse(m->payload);
  }
  /** The next library/EVENT outcome; throws after `timeout`. */
  nlohmann::json next(const std::string& event, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto m = pc_.next("/library/" + event, timeout);
    if (!m) throw std::runtime_error("no library/" + event + " message");
    return nlohmann::json::parse(m->payload);
  }
  /** The next message whose topic ends with `suffix` (another plugin's outcome); nullopt on timeout. */
  std::optional<Received> next_topic(const std::string& suffix, std::chrono::milliseconds timeout) {
    return pc_.next(suffix, timeout);
  }
  /** True when library/EVENT arrives within `timeout` (use for "nothing arrives"). */
  bool arrives(const std::string& event, std::chrono::milliseconds timeout) {
    return pc_.next("/library/" + event, timeout).has_value();
  }

  Daemon& daemon() { return daemon_; }
  [[nodiscard]] std::filesystem::path database() const { return daemon_.dir() / "data" / "plugins" / "library.db"; }

 private:
  Broker broker_;
  Daemon daemon_;
  Subscriber pc_;
  int calls_ = 0;
};

/** Every byte of the plugin's SQLite files (main, WAL), for privacy checks. */
inline std::string database_bytes(const std::filesystem::path& db) {
  std::string all;
  for (const char* suffix : {"", "-wal", "-journal"}) {
    const std::filesystem::path f = db.string() + suffix;
    if (std::filesystem::exists(f)) all += read_file(f);
  }
  return all;
}

}  // namespace kazasu::test
