// The station every pcsc fault case runs: a real kazasud (tests/fixtures/common
// Daemon) on a real mosquitto, with pcsc readers on the fixture's vpcd slots,
// the example plugin (its token and per-token count show which identity a tap
// carried) and a basic_info probe (its `seen` says what the tap looked like to
// a plugin). Cards come from kazasu-cardsim, made once per process.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "broker.hpp"
#include "daemon.hpp"
#include "pcsc_fixture.hpp"
#include "process.hpp"
#include "subscriber.hpp"

namespace kazasu::test::faults {

/** Prints one line to stdout ("[faults/pcsc] key: value") and records it as a test property. */
void report(const std::string& key, const std::string& value);
void report(const std::string& key, long long value);

/** The test CA's card directory of the `valid` variant, made once per process. */
const std::filesystem::path& valid_card();
/** The test CA's auth root: the station's trust anchor. */
std::filesystem::path trust_anchor();

struct ReaderSpec {
  std::string name;  // kazasud's name for it, e.g. "counter-1"
  VirtualReader vr;
  std::string level = "fast";
  bool basic_info = false;  // bound to probe_granted (card.basic_info) instead of probe_plain
};

/** What kazasud published for one tap: the probe's `seen` and the example plugin's outcome. */
struct TapSeen {
  std::string id;
  std::string reader;
  std::string status;       // the tap's status: "ok" or the refusal reason
  std::string message;      // example/refused's message (empty for an identified tap)
  std::string event;        // example's event: "seen" or "refused"
  bool identified = false;  // the probe's view
  std::string token;        // example/seen's token
  long long taps_of_token = 0;
  std::string basic_info_status;
  std::string basic_info_message;
  bool has_basic_info = false;
};

class FaultStation {
 public:
  explicit FaultStation(std::vector<ReaderSpec> readers);
  ~FaultStation();

  /** `kazasuctl --json readers`: the readers array. */
  nlohmann::json readers();
  nlohmann::json reader(const std::string& name);
  /**
   * Waits until the reader's state is `state` and its detail contains
   * `detail`; `last` gets the final reader object seen.
   */
  bool wait_reader(const std::string& name, const std::string& state, std::chrono::milliseconds timeout,
                   nlohmann::json* last = nullptr, const std::string& detail = "");
  /** `kazasuctl --json status`, through the Daemon fixture. */
  nlohmann::json status() { return daemon_->status(); }
  /** Arms the holder's PIN for the reader's next read ("auth" or "basic_info"). */
  void arm_pin(const std::string& reader, const std::string& purpose, const std::string& pin = "1234");

  /**
   * Puts `card` on `spec`'s reader with cardsim `extra` args, waits for both
   * plugins' outcomes of that one tap, then takes the card away and waits until
   * pcscd sees the reader empty. nullopt (and a test failure) when no outcome came.
   */
  std::optional<TapSeen> tap(const ReaderSpec& spec, const std::filesystem::path& card,
                             const std::vector<std::string>& extra = {},
                             std::chrono::milliseconds timeout = std::chrono::seconds(15));
  /** The next outcome pair of `spec`'s reader, if one comes within `timeout` (for a card put on elsewhere). */
  std::optional<TapSeen> next_outcome(const ReaderSpec& spec, std::chrono::milliseconds timeout);

  /** True while the kazasud process runs (it has not crashed or exited). */
  bool alive() { return daemon_->wait(std::chrono::milliseconds(0)) == -1; }
  [[nodiscard]] std::string log() const { return daemon_->log(); }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  std::string ctl(const std::vector<std::string>& args, int* rc = nullptr);

  TempDir dir_;
  std::vector<ReaderSpec> specs_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Subscriber> outcomes_;  // example/#
  std::unique_ptr<Subscriber> probes_;    // probe_*/seen
};

/**
 * Starts `pcscd -f EXTRA...` as this test's own child (output to `log`) and
 * waits until it lists every reader in `expect`; throws if it does not.
 */
std::unique_ptr<ChildProcess> start_own_pcscd(const std::vector<std::string>& extra, const std::filesystem::path& log,
                                              const std::vector<VirtualReader>& expect);
/** Whether pcscd lists `reader` now (false when pcscd does not answer). */
bool pcscd_lists(const VirtualReader& reader);

/** The number of C-APDUs ("> " lines) in a kazasu-cardsim trace. */
int apdus_in_trace(const std::filesystem::path& trace);

}  // namespace kazasu::test::faults
