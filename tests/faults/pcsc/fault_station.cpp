#include "fault_station.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace kazasu::test::faults {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string kRoot = "kazasu/v1/test-city/station-1/";

const fs::path& card_work_dir() {
  static const TempDir dir;
  return dir.path();
}

std::string probe_of(const ReaderSpec& spec) {
  return spec.basic_info ? "probe_granted" : "probe_plain";
}

std::string config(const std::vector<ReaderSpec>& readers) {
  const std::string plugins = TEST_PLUGIN_DIR;
  bool granted = false;
  bool plain = false;
  for (const auto& r : readers) (r.basic_info ? granted : plain) = true;
  std::string text = "[identify.jpki]\ntrust_anchors = [\"" + trust_anchor().string() +
                     "\"]\n"
                     "[identify.pin]\n"
                     "timeout_ms = 2000\n"
                     "basic_info_timeout_ms = 2000\n\n"
                     "[plugins.example]\n\n";
  if (granted) {
    text +=
        "[plugins.probe_granted]\npath = \"" + plugins + "/probe_granted.so\"\npermissions = [\"card.basic_info\"]\n\n";
  }
  if (plain) text += "[plugins.probe_plain]\npath = \"" + plugins + "/probe_plain.so\"\n\n";
  for (const auto& r : readers) {
    text += "[readers." + r.name + "]\ndriver = \"pcsc\"\npcsc_reader = \"" + r.vr.name + "\"\nplugins = [\"" +
            probe_of(r) + "\", \"example\"]\naccept = [\"jpki\"]\nlevel = \"" + r.level + "\"\n\n";
  }
  return text;
}

}  // namespace

void report(const std::string& key, const std::string& value) {
  std::cout << "[faults/pcsc] " << key << ": " << value << std::endl;
  ::testing::Test::RecordProperty(key, value);
}

void report(const std::string& key, long long value) {
  report(key, std::to_string(value));
}

fs::path trust_anchor() {
  const fs::path ca = card_work_dir() / "ca";
  if (!fs::exists(ca / "auth_ca_cert.pem")) {
    if (run_cardsim_tool({"make-ca", "--out", ca.string()}) != 0) throw std::runtime_error("make-ca failed");
  }
  return ca / "auth_ca_cert.pem";
}

const fs::path& valid_card() {
  static const fs::path card = [] {
    const fs::path out = card_work_dir() / "valid";
    if (run_cardsim_tool({"make-card", "--ca", trust_anchor().parent_path().string(), "--out", out.string(),
                          "--variant", "valid"}) != 0) {
      throw std::runtime_error("make-card valid failed");
    }
    return out;
  }();
  return card;
}

bool pcscd_lists(const VirtualReader& reader) {
  try {
    const PcscContext context;
    const auto names = context.list_readers();
    return std::find(names.begin(), names.end(), reader.name) != names.end();
  } catch (const std::exception&) {
    return false;
  }
}

std::unique_ptr<ChildProcess> start_own_pcscd(const std::vector<std::string>& extra, const fs::path& log,
                                              const std::vector<VirtualReader>& expect) {
  std::vector<std::string> argv = {"/usr/sbin/pcscd", "-f"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  wait_for_vpcd_ports_free();
  auto pcscd = std::make_unique<ChildProcess>(argv, false, log);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (true) {
    bool all = true;
    for (const auto& r : expect) all = all && pcscd_lists(r);
    if (all) return pcscd;
    if (!pcscd->running()) throw std::runtime_error("pcscd exited at start; log: " + log.string());
    if (std::chrono::steady_clock::now() >= deadline) throw std::runtime_error("pcscd did not list its readers");
    std::this_thread::sleep_for(50ms);
  }
}

int apdus_in_trace(const fs::path& trace) {
  std::ifstream in(trace);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("> ", 0) == 0) ++n;
  }
  return n;
}

FaultStation::FaultStation(std::vector<ReaderSpec> readers) : specs_(std::move(readers)) {
  broker_ = std::make_unique<Broker>(dir_.path() / "broker");
  // Subscribed before kazasud starts, so no outcome can slip past them.
  outcomes_ = std::make_unique<Subscriber>(broker_->uri(), kRoot + "example/#");
  probes_ = std::make_unique<Subscriber>(broker_->uri(), kRoot + "+/seen");
  daemon_ = std::make_unique<Daemon>(dir_.path(), daemon_config(dir_.path(), broker_->uri(), config(specs_)));
}

FaultStation::~FaultStation() {
  if (::testing::Test::HasFailure() && daemon_) std::cerr << "kazasud log:\n" << daemon_->log();
}

std::string FaultStation::ctl(const std::vector<std::string>& args, int* rc) {
  std::vector<std::string> argv = {kazasuctl_path(), "--socket", (dir_.path() / "control.sock").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  const int code = run(argv, out);
  if (rc != nullptr) *rc = code;
  return out;
}

json FaultStation::readers() {
  int rc = 0;
  const std::string out = ctl({"--json", "readers"}, &rc);
  if (rc != 0) throw std::runtime_error("kazasuctl readers failed: " + out);
  return json::parse(out).at("readers");
}

json FaultStation::reader(const std::string& name) {
  for (const auto& r : readers()) {
    if (r.at("name") == name) return r;
  }
  throw std::runtime_error("kazasuctl readers has no reader " + name);
}

bool FaultStation::wait_reader(const std::string& name, const std::string& state, std::chrono::milliseconds timeout,
                               json* last, const std::string& detail) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const json r = reader(name);
    if (last != nullptr) *last = r;
    if (r.at("state") == state && r.value("detail", "").find(detail) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
}

void FaultStation::arm_pin(const std::string& reader, const std::string& purpose, const std::string& pin) {
  int rc = 0;
  const std::string out = ctl({"pin", "--reader", reader, "--pin", pin, "--for", purpose}, &rc);
  ASSERT_EQ(rc, 0) << "kazasuctl pin: " << out;
}

std::optional<TapSeen> FaultStation::next_outcome(const ReaderSpec& spec, std::chrono::milliseconds timeout) {
  auto outcome = outcomes_->next("", timeout);
  if (!outcome) return std::nullopt;
  auto probe = probes_->next(probe_of(spec) + "/seen", timeout);
  if (!probe) {
    ADD_FAILURE() << "example answered the tap but " << probe_of(spec) << " did not";
    return std::nullopt;
  }
  const json o = json::parse(outcome->payload);
  const json p = json::parse(probe->payload);
  TapSeen seen;
  seen.id = o.value("id", "");
  seen.reader = o.value("reader", "");
  seen.event = o.value("event", "");
  seen.status = p.value("status", "");
  seen.message = o.value("message", "");
  seen.identified = p.value("identified", false);
  seen.token = o.value("token", "");
  seen.taps_of_token = o.value("taps", 0LL);
  seen.basic_info_status = p.value("basic_info_status", "");
  seen.basic_info_message = p.value("basic_info_message", "");
  seen.has_basic_info = p.value("has_basic_info", false);
  EXPECT_EQ(p.value("id", ""), seen.id) << "the two plugins saw different taps";
  EXPECT_EQ(seen.reader, spec.name) << "an outcome of another reader";
  if (seen.event == "refused") {
    EXPECT_EQ(o.value("status", ""), seen.status);
  }
  return seen;
}

std::optional<TapSeen> FaultStation::tap(const ReaderSpec& spec, const fs::path& card,
                                         const std::vector<std::string>& extra, std::chrono::milliseconds timeout) {
  // pcscd notices the previous card leaving up to 400 ms late; a card put on
  // before that would be the same card to pcscd, and no tap at all.
  EXPECT_TRUE(wait_for_card(spec.vr.name, false, 5s)) << "the previous card is still on " << spec.vr.name;
  auto sim = std::make_unique<CardsimProcess>(card, spec.vr.port, extra);
  auto seen = next_outcome(spec, timeout);
  if (!seen) {
    // Whose fault: does pcscd itself show the card?
    const bool pcscd_sees_card = wait_for_card(spec.vr.name, true, 1s);
    ADD_FAILURE() << "no outcome of a tap on " << spec.name << " within " << timeout.count() << " ms; pcscd "
                  << (pcscd_sees_card ? "shows" : "does not show") << " a card in " << spec.vr.name << "; simulator "
                  << (sim->running() ? "running" : "exited");
  }
  sim.reset();  // takes the card away (SIGTERM: the simulator breaks the link off)
  EXPECT_TRUE(wait_for_card(spec.vr.name, false, 5s)) << "the card never left " << spec.vr.name;
  return seen;
}

}  // namespace kazasu::test::faults
