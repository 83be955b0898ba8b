// The SIP2 fixture server (tests/fixtures/sip2/sip2_server.py) as a child
// process on a free loopback port, speaking CP932 and requiring the login
// kazasu/secret; mode() switches it to slow, hang, drop, bad_checksum, ...
#pragma once

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

namespace kazasu::test {

class Sip2Fixture {
 public:
  explicit Sip2Fixture(const std::filesystem::path& dir) : dir_(dir) {
    std::filesystem::create_directories(dir);
    process_ = std::make_unique<Process>(
        std::vector<std::string>{KAZASU_PYTHON3, SIP2_SERVER, "--port-file", (dir / "port").string(), "--mode-file",
                                 mode_file().string(), "--log", log_file().string(), "--charset", "cp932", "--login",
                                 "kazasu:secret"},
        dir / "server.log");
    for (int i = 0; i < 500 && !std::filesystem::exists(dir / "port"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!std::filesystem::exists(dir / "port")) throw std::runtime_error("the SIP2 fixture did not start");
    port_ = std::stoi(read_file(dir / "port"));
  }
  void mode(const std::string& m) { write_file(mode_file(), m); }
  void stop() { process_->stop(SIGTERM, std::chrono::seconds(5)); }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string requests() const { return read_file(log_file()); }

 private:
  [[nodiscard]] std::filesystem::path mode_file() const { return dir_ / "mode"; }
  [[nodiscard]] std::filesystem::path log_file() const { return dir_ / "requests.log"; }
  std::filesystem::path dir_;
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

}  // namespace kazasu::test
