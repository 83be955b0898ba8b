// A station for the ops tests: a real mosquitto, a real kazasud (the example
// plugin on sim reader counter-1, a plugin that is refused at start), and
// kazasuctl run as a person or a script would run it.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "broker.hpp"
#include "daemon.hpp"
#include "process.hpp"
#include "subscriber.hpp"

namespace kazasu::test {

using namespace std::chrono_literals;

inline const std::string kOpsStation = kExampleStation + R"(
[plugins.gone]
path = "/nonexistent/gone.so"
)";

inline const std::string kRoot = "kazasu/v1/test-city/station-1/";

class OpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = std::make_unique<Broker>(dir_.path() / "broker");
    daemon_ = std::make_unique<Daemon>(dir_.path(), daemon_config(dir_.path(), broker_->uri(), kOpsStation));
  }
  void TearDown() override {
    if (HasFailure() && daemon_) std::cerr << "kazasud log:\n" << daemon_->log();
  }

  [[nodiscard]] std::string socket() const { return (dir_.path() / "control.sock").string(); }
  [[nodiscard]] std::filesystem::path data_dir() const { return dir_.path() / "data"; }

  /** Runs kazasuctl --socket SOCKET ARGS...; its exit code, with stdout and stderr in `out`. */
  int ctl(const std::vector<std::string>& args, std::string& out) const {
    std::vector<std::string> argv{kazasuctl_path(), "--socket", socket()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, out);
  }
  /** kazasuctl --json ARGS..., which must exit 0, parsed. */
  nlohmann::json ctl_json(const std::vector<std::string>& args) const {
    std::vector<std::string> a{"--json"};
    a.insert(a.end(), args.begin(), args.end());
    std::string out;
    const int rc = ctl(a, out);
    EXPECT_EQ(rc, 0) << out;
    auto j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }

  /** One request on the control socket, in-process (fast taps); the reply. */
  nlohmann::json request(const nlohmann::json& req) const {
    const int fd = connect_socket();
    const std::string line = req.dump() + "\n";
    EXPECT_EQ(::write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    std::string in;
    char c = 0;
    while (::read(fd, &c, 1) == 1 && c != '\n') in.push_back(c);
    ::close(fd);
    return nlohmann::json::parse(in, nullptr, false);
  }
  int connect_socket() const {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket().c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
    return fd;
  }

  /** Audit rows exported through kazasud once `ready` holds for them (or after 5 s). */
  template <class Pred>
  std::vector<nlohmann::json> audit_rows_when(Pred ready) const {
    std::vector<nlohmann::json> rows;
    for (int i = 0; i < 100; ++i) {
      rows.clear();
      std::string out;
      if (ctl({"audit", "export"}, out) == 0) {
        std::istringstream lines(out);
        for (std::string line; std::getline(lines, line);) rows.push_back(nlohmann::json::parse(line));
        if (ready(rows)) return rows;
      }
      std::this_thread::sleep_for(50ms);
    }
    return rows;
  }

  TempDir dir_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace kazasu::test
