// kazasud against the sample facility broker (config/mosquitto/): TLS with a
// required client certificate, a password from an owner-only credentials
// file, and the station ACL. The right certificate gets the station online and
// its outcomes to the facility PC; a certificate from another CA does not.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "daemon.hpp"
#include "process.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class FacilityBroker : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = dir_.path() / "broker";
    std::string out;
    ASSERT_EQ(test::run({"/usr/bin/bash", KAZASU_SOURCE_DIR "/tests/fixtures/tls/prepare-facility-broker.sh",
                         KAZASU_SOURCE_DIR, work_.string()},
                        out),
              0)
        << out;
    port_ = std::stoi(test::read_file(work_ / "port"));
    broker_ = std::make_unique<test::Process>(
        std::vector<std::string>{"/usr/sbin/mosquitto", "-c", (work_ / "mosquitto.conf").string()},
        work_ / "mosquitto.out");
    ASSERT_TRUE(test::wait_for_port(port_, 10s)) << test::read_file(work_ / "mosquitto.log");
  }

  // A station config for sanjo/central-library, the station the sample ACL knows.
  std::string config(const std::string& client_cert, const std::string& password) {
    const auto certs = work_ / "etc" / "certs";
    test::write_file(dir_.path() / "mqtt.credentials",
                     "username = \"station-central-library\"\npassword = \"" + password + "\"\n", 0600);
    return "[station]\nsite = \"sanjo\"\nname = \"central-library\"\n"
           "data_dir = \"" +
           (dir_.path() / "data").string() +
           "\"\n"
           "secret_file = \"" +
           (dir_.path() / "site.secret").string() +
           "\"\n"
           "control_socket = \"" +
           (dir_.path() / "control.sock").string() +
           "\"\n"
           "plugin_dir = \"" +
           test::plugin_dir() +
           "\"\n"
           "[mqtt]\nuri = \"ssl://127.0.0.1:" +
           std::to_string(port_) +
           "\"\n"
           "ca_file = \"" +
           (certs / "ca.crt").string() +
           "\"\n"
           "cert_file = \"" +
           (certs / (client_cert + ".crt")).string() +
           "\"\n"
           "key_file = \"" +
           (certs / (client_cert + ".key")).string() +
           "\"\n"
           "credentials_file = \"" +
           (dir_.path() / "mqtt.credentials").string() +
           "\"\n"
           "[plugins.example]\n"
           "[readers.counter-1]\ndriver = \"sim\"\nplugins = [\"example\"]\n"
           "[sim.cards.alice]\nkind = \"jpki\"\nserial = \"0x1A2B3C4D\"\n";
  }

  // Polls kazasuctl status until the broker link is `want` or `timeout` passes.
  static bool link_becomes(test::Daemon& d, const std::string& want, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (d.status()["mqtt"] == want) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  test::TempDir dir_;
  std::filesystem::path work_;
  int port_ = 0;
  std::unique_ptr<test::Process> broker_;
};

TEST_F(FacilityBroker, RightCertificateAndPasswordPublishToTheFacilityPc) {
  test::Daemon daemon(dir_.path(), config("station", test::read_file(work_ / "station.pw").substr(0, 32)));
  ASSERT_TRUE(link_becomes(daemon, "connected", 10s)) << daemon.log();

  // The facility PC, with its own certificate and password, reads the outcome.
  const auto certs = work_ / "etc" / "certs";
  test::Process pc({"/usr/bin/mosquitto_sub",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    std::to_string(port_),
                    "--cafile",
                    (certs / "ca.crt").string(),
                    "--cert",
                    (certs / "pc.crt").string(),
                    "--key",
                    (certs / "pc.key").string(),
                    "-u",
                    "library-pc",
                    "-P",
                    test::read_file(work_ / "pc.pw").substr(0, 32),
                    "-V",
                    "mqttv5",
                    "-t",
                    "kazasu/v1/sanjo/central-library/example/#",
                    "-C",
                    "1",
                    "-W",
                    "15"},
                   dir_.path() / "pc.out");
  std::this_thread::sleep_for(500ms);  // let the subscription settle
  const std::string id = daemon.tap("counter-1", "alice");
  ASSERT_EQ(pc.wait(20s), 0) << pc.output();
  const json seen = json::parse(pc.output());
  EXPECT_EQ(seen["id"], id);
  EXPECT_EQ(seen["event"], "seen");
}

TEST_F(FacilityBroker, CertificateFromAnotherCaIsRefused) {
  test::Daemon daemon(dir_.path(), config("rogue", test::read_file(work_ / "station.pw").substr(0, 32)));
  EXPECT_FALSE(link_becomes(daemon, "connected", 3s));
  EXPECT_NE(daemon.log().find("broker connection failed"), std::string::npos) << daemon.log();
}

TEST_F(FacilityBroker, WrongPasswordIsRefused) {
  test::Daemon daemon(dir_.path(), config("station", "not-the-password"));
  EXPECT_FALSE(link_becomes(daemon, "connected", 3s));
  EXPECT_NE(daemon.log().find("broker connection failed"), std::string::npos) << daemon.log();
}

TEST_F(FacilityBroker, CredentialsReadableByOthersAreAConfigError) {
  const std::string text = config("station", "x");
  ::chmod((dir_.path() / "mqtt.credentials").c_str(), 0644);
  test::write_file(dir_.path() / "kazasud.toml", text);
  std::string out;
  EXPECT_EQ(test::run({test::kazasud_path(), "--check-config", (dir_.path() / "kazasud.toml").string()}, out), 2);
  EXPECT_NE(out.find("mqtt.credentials_file: " + (dir_.path() / "mqtt.credentials").string() +
                     " must be readable by its owner only"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace kazasu
