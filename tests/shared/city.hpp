// Stations of one test city: one broker, one real PostgreSQL cluster, and real
// kazasud stations each with its own directory, all sharing state through the
// cluster. The shared-state, library and election city tests build on it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "broker.hpp"
#include "daemon.hpp"
#include "postgres.hpp"
#include "process.hpp"
#include "subscriber.hpp"

namespace kazasu::test {

inline const std::string kCitySite = "kazasu/v1/test-city/";

class CityTest : public ::testing::Test {
 protected:
  void SetUp() override { broker_ = std::make_unique<Broker>(dir_.path() / "broker"); }
  void TearDown() override {
    if (!HasFailure()) return;
    for (auto& [name, d] : stations_) std::cerr << "---- " << name << " log:\n" << d->log();
  }

  /** Station `name`'s config: `body` (plugins, readers, cards...) and [shared] on the test cluster. */
  std::string config(const std::string& name, const std::string& body, int deadline_ms = 1500) {
    const std::filesystem::path dir = dir_.path() / name;
    std::string text = daemon_config(
        dir, broker_->uri(),
        body + "\n[shared]\nengine = \"postgresql\"\nconninfo = \"host=127.0.0.1 port=" + std::to_string(pg_.port()) +
            " dbname=" + Postgres::kDatabase + " user=" + Postgres::kUser + " connect_timeout=2\"\npassword_file = \"" +
            (dir / "pg.password").string() + "\"\ndeadline_ms = " + std::to_string(deadline_ms) + "\n");
    const std::string from = "name = \"station-1\"";
    // Japan's days and hours, whatever zone the test machine is in.
    text.replace(text.find(from), from.size(), "name = \"" + name + "\"\ntimezone = \"Asia/Tokyo\"");
    return text;
  }

  /** Starts station `name` and waits until it is online. */
  Daemon& start(const std::string& name, const std::string& body, int deadline_ms = 1500) {
    const std::filesystem::path dir = dir_.path() / name;
    std::filesystem::create_directories(dir);
    write_file(dir / "pg.password", std::string(Postgres::kPassword) + "\n", 0600);
    stations_[name] = std::make_unique<Daemon>(dir, config(name, body, deadline_ms));
    wait_online(name);
    return *stations_[name];
  }

  // kazasud subscribes to its commands before it publishes `online`, so a
  // command sent after that is never missed.
  void wait_online(const std::string& name) {
    using namespace std::chrono_literals;
    Subscriber s(broker_->uri(), kCitySite + name + "/status");
    for (auto m = s.next("/status", 10s); m; m = s.next("/status", 10s)) {
      if (nlohmann::json::parse(m->payload)["state"] == "online") return;
    }
    throw std::runtime_error(name + " never came online");
  }

  /** Sends `plugin/cmd/cmd` to station `name` and returns the whole reply. */
  nlohmann::json reply(Subscriber& pc, const std::string& name, const std::string& plugin, const std::string& cmd,
                       const nlohmann::json& payload) {
    using namespace std::chrono_literals;
    pc.publish(kCitySite + name + "/" + plugin + "/cmd/" + cmd, payload.dump(), kCitySite + name + "/replies/pc/" + cmd,
               "c");
    auto m = pc.next(name + "/replies/pc/" + cmd, 10s);
    if (!m) throw std::runtime_error("no reply from " + name + " to " + cmd);
    return nlohmann::json::parse(m->payload);
  }

  TempDir dir_;
  Postgres pg_;
  std::unique_ptr<Broker> broker_;
  std::map<std::string, std::unique_ptr<Daemon>> stations_;
};

}  // namespace kazasu::test
