// What every service fault case needs beside the common fixtures: a report
// that prints each count it compares (and records it for the XML report), a
// control-socket client that offers taps the way bench/outbox/tap_load does,
// a mosquitto that can be SIGKILLed, an MQTT v5 collector that records every
// arrival (with its time) on a thread of its own and reconnects when the test
// says so, a reader of the MQTT stream a TcpProxy carries (PUBACKs, corrupt
// packets), and the example plugin's SQLite file as the witness of what was
// committed (its ledger and its outbox rows).
#pragma once

#include <mqtt/async_client.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "process.hpp"

namespace kazasu::faults {

using Clock = std::chrono::steady_clock;

/**
 * One line on stdout per value, `[faults] <case>: <what> = <value>`, and the
 * same value as a gtest property (`ctest --output-junit` keeps it).
 */
class Report {
 public:
  explicit Report(std::string name) : name_(std::move(name)) {}
  void count(const std::string& what, int64_t value);
  void note(const std::string& what, const std::string& value);
  void ms(const std::string& what, double value);

 private:
  std::string name_;
};

/** Joins `thread` when it goes out of scope (an ASSERT returned early), after setting `stop`. */
class JoinOnExit {
 public:
  JoinOnExit(std::thread& thread, std::atomic<bool>& stop) : thread_(thread), stop_(stop) {}
  ~JoinOnExit() { join(); }
  JoinOnExit(const JoinOnExit&) = delete;
  JoinOnExit& operator=(const JoinOnExit&) = delete;
  void join() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread& thread_;
  std::atomic<bool>& stop_;
};

/** The last `n` bytes of `s`. */
inline std::string tail(const std::string& s, size_t n) {
  return s.size() > n ? s.substr(s.size() - n) : s;
}

/**
 * When the running test failed and KAZASU_FAULTS_KEEP names a directory,
 * copies `dir` (logs, databases) there under the test's name, for a look
 * after the temporary directory is gone.
 */
void keep_on_failure(const std::filesystem::path& dir);

/** The seed for a case's random choices: KAZASU_FAULTS_SEED when set, else `fallback`. */
uint64_t seed_from_env(uint64_t fallback);

/**
 * A connection to kazasud's control socket that stays open between requests
 * (`keep_open`), as a load generator uses it. Every call returns nothing once
 * the daemon has gone (the connection is then dead; make a new one).
 */
class ControlClient {
 public:
  explicit ControlClient(const std::filesystem::path& socket);
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;
  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  /** Taps a simulated card; the tap id, or nothing when there was no answer or a refusal. */
  std::optional<std::string> tap(const std::string& reader, const std::string& card);
  /** One request line; the parsed answer, or nothing. */
  std::optional<nlohmann::json> request(nlohmann::json req);

 private:
  int fd_ = -1;
  std::string buffered_;
};

/** One request on a fresh connection (no keep_open): the raw answer line, or empty. */
std::string control_once(const std::filesystem::path& socket, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

/** utime + stime of a process so far, in seconds (proc(5) fields 14 and 15). */
double cpu_seconds(pid_t pid);

/** kazasud's resident set (VmRSS), in kB; -1 when the process is gone. */
int64_t rss_kb(pid_t pid);

/**
 * mosquitto for the broker fault cases, unlike test::Broker killable with
 * SIGKILL. No limit on queued or in-flight messages per client (the
 * defaults, 1000 queued and 20 in flight, would drop or hold a station's
 * backlog for the broker's own reasons). With `persistent`, the in-memory
 * database is saved after every change (autosave_on_changes), so a SIGKILL
 * loses only what the broker did in its last loop.
 */
class KillableBroker {
 public:
  KillableBroker(const std::filesystem::path& dir, bool persistent);
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  /** SIGKILL, no goodbye to anyone: sessions and queues survive only as far as the last save. */
  void kill();
  void start();
  [[nodiscard]] bool saved() const;  // the persistence file exists
  [[nodiscard]] std::string log() const;

 private:
  std::filesystem::path dir_;
  bool persistent_;
  int port_;
  int runs_ = 0;
  std::unique_ptr<test::Process> process_;
};

struct Arrival {
  std::string topic;
  std::string payload;
  std::string id;  // the payload's "id" (the tap id of an outcome); empty when it has none
  bool dup = false;
  Clock::time_point at;
  std::string correlation;
};

/**
 * An MQTT v5 subscriber at QoS 1 that records every message on `filters` as
 * it arrives (Paho's thread). With a `session_id` it keeps its broker session
 * (clean start off, session expiry 10 min), as a facility PC's does.
 */
class Collector {
 public:
  Collector(const std::string& uri, std::vector<std::string> filters, const std::string& session_id = "");
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;
  /** Connects again (the broker came back) and subscribes; false if it could not within `timeout`. */
  bool reconnect(std::chrono::milliseconds timeout);

  [[nodiscard]] std::vector<Arrival> arrivals() const;
  [[nodiscard]] size_t size() const;
  /** Distinct ids among the arrivals. */
  [[nodiscard]] size_t distinct() const;
  /** Waits until every id of `want` arrived; the ones still missing after `timeout`. */
  std::set<std::string> wait_for_ids(const std::set<std::string>& want, std::chrono::milliseconds timeout) const;
  /** The first arrival's time of each id. */
  [[nodiscard]] std::unordered_map<std::string, Clock::time_point> first_seen() const;

 private:
  void subscribe();
  // Builds the options and starts one connect attempt in one scope: Debian's Paho C++
  // (1.2) copies connect_options with the connect properties still pointing into the
  // original, so options returned by value dangled (a crash under TSan, one start in three).
  mqtt::token_ptr start_connect();
  std::vector<std::string> filters_;
  bool persistent_;
  mutable std::mutex mu_;
  std::vector<Arrival> arrivals_;
  std::unordered_map<std::string, Clock::time_point> first_;
  std::string last_error_;
  // Last: destroyed first, so no Paho callback runs once the members above are gone.
  mqtt::async_client client_;
};

/**
 * Reads the MQTT v5 stream between kazasud and the broker, as a TcpProxy's
 * observer: which outcome ids the broker acknowledged (PUBACK), and any
 * PUBLISH kazasud sent that no broker should take (a topic that is not
 * UTF-8, has control characters or wildcards; a payload that is not a JSON
 * object with an "id").
 */
class MqttWatch {
 public:
  void feed(uint64_t link, bool from_client, const char* data, size_t n);
  [[nodiscard]] std::set<std::string> acked_ids() const;
  [[nodiscard]] uint64_t publishes() const;
  [[nodiscard]] uint64_t corrupt() const;
  /** A few corrupt packets: link, packet id and the first bytes of topic and payload. */
  [[nodiscard]] std::vector<std::string> corrupt_samples() const;

 private:
  void packet(uint64_t link, bool from_client, uint8_t header, const std::string& body);
  mutable std::mutex mu_;
  std::map<std::pair<uint64_t, bool>, std::string> buffers_;
  std::map<std::pair<uint64_t, uint16_t>, std::string> in_flight_;  // (link, packet id) -> outcome id
  std::set<std::string> acked_;
  uint64_t publishes_ = 0;
  uint64_t corrupt_ = 0;
  std::vector<std::string> samples_;
};

/** QoS 1 accounting over a collector's arrivals: what a subscriber de-duplicating by id sees. */
struct Delivery {
  size_t arrivals = 0;
  size_t distinct = 0;
  size_t duplicates = 0;                             // arrivals - distinct
  size_t broker_redeliveries = 0;                    // duplicates with the DUP flag (the broker resent to us)
  size_t differing_copies = 0;                       // repeats whose payload differs from the first copy: must be 0
  std::map<std::string, std::string> first_payload;  // id -> payload of its first arrival
};
Delivery account(const std::vector<Arrival>& arrivals);

/** The example plugin's SQLite file as a witness: its ledger and its outbox rows not yet acknowledged. */
struct ExampleFile {
  std::map<std::string, int64_t> taps_per_token;  // the ledger
  int64_t committed = 0;                          // sum of the ledger
  struct Row {
    std::string msg_id, payload;
  };
  std::vector<Row> outbox;  // kazasu_outbox rows (not yet acknowledged, or acknowledged but not yet deleted)
};
ExampleFile read_example_file(const std::filesystem::path& db_file);

/**
 * The example plugin's ledger against outcomes. Each `example/seen` outcome
 * names its ledger entry: the card's token and the count that tap made
 * (`taps`), so the ledger's entries are (token, 1..taps) and every one must
 * be named by exactly one tap id, and every id must name exactly one entry.
 */
struct LedgerCheck {
  int64_t entries = 0;         // in the ledger
  int64_t missing = 0;         // ledger entries no outcome names: committed, not delivered
  int64_t beyond = 0;          // outcomes naming an entry the ledger does not have
  int64_t entry_two_ids = 0;   // entries named by two tap ids
  int64_t id_two_entries = 0;  // tap ids naming two entries: one tap counted twice
  [[nodiscard]] bool agrees() const { return missing == 0 && beyond == 0 && entry_two_ids == 0 && id_two_entries == 0; }
  [[nodiscard]] std::string describe() const;
};
/** `outcomes`: every copy seen, as (id, payload); repeats of one copy are fine. */
LedgerCheck check_ledger(const ExampleFile& file, const std::vector<std::pair<std::string, std::string>>& outcomes);

/** Percentile (0..100) of `values` in ms; 0 when empty. */
double percentile(std::vector<double> values, double p);

}  // namespace kazasu::faults
