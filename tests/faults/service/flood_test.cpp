// Fault case 4: hostile input on both of kazasud's doors while taps flow.
//
// Injects: 10,000 malformed MQTT commands on the command topics
// (`{root}{plugin}/cmd/{name}`, docs/mqtt.md), sent over 14 s by a separate,
// lower-priority process (a flood comes from another machine, not from the
// station's own cores): non-JSON, invalid UTF-8, an empty payload, JSON nested
// 40 deep, payloads over max_command_bytes (64 KiB) and five of 1 MiB (over
// the maximum packet size kazasud accepts: the broker drops those), wrong
// field types, unknown commands, unknown plugins, arrays, response topics
// outside the station's replies/ and none at all. And 1,000 garbage
// control-socket requests: non-JSON, random bytes, invalid UTF-8, a command
// name that is not UTF-8, wrong types, unknown readers, cards and commands, a
// bad PIN, JSON nested 30,000 deep, a line over 64 KiB, an unfinished line.
// All while taps flow at 20 taps/s.
//
// Compares: taps made, answered and delivered (all of them, in every run);
// the tap-to-outcome latency p99 at the facility PC in a quiet run before the
// flood, in the flooded run and in a quiet run after it (flooded p99 <=
// 2 x max(quiet p99, 5 ms), the quiet p99 the larger of the two, so a shared
// machine's own noise is in the baseline); kazasud's resident memory (VmRSS)
// sampled every 50 ms during the flood (peak <= start + 32 MB) and its CPU
// time; the replies to malformed commands (a sample of 244 one by one: each
// an error reply with its kind's code, or rate_limited once the sender passed
// [mqtt] command_burst/command_rate, and every kind seen with its own code;
// the total printed); the control socket's answers by code for each kind of
// garbage; and kazasud still running and answering.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "daemon.hpp"
#include "fault_kit.hpp"
#include "flood_kinds.hpp"
#include "process.hpp"

namespace kazasu::faults {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kRoot = "kazasu/v1/test-city/station-1/";
constexpr int kMqttCommands = 10000;
constexpr int kControlRequests = 1000;
constexpr auto kRunFor = 15s;  // 300 taps a run: p99 is the 297th, not one scheduler hiccup
constexpr auto kQuietAfter = 10s;
constexpr auto kTapInterval = 50ms;  // 20 taps/s
// Bounded by what kazasud may hold at once during the flood: at most 4,096
// command replies waiting for the broker (under 1 KB each), 4,096 audit rows
// waiting for their writer (a few hundred bytes each), one command payload
// of at most 64 KiB at a time plus Paho's buffer for one packet of at most
// its maximum packet size (320 KiB), 16 control sessions of at most 64 KiB
// each: well under 16 MB together, and the rest is the allocator's slack. A
// leak of 3.3 KB per malformed command would pass 32 MB.
constexpr int64_t kRssHeadroomKb = 32 * 1024;
// This test and kazasud are built with the same flags (scripts/sanitize builds the tree).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

struct ControlKind {
  const char* name;
  std::string bytes;
  const char* code;  // expected refusal code; nullptr: no answer (an unfinished line)
};

std::vector<ControlKind> control_kinds(std::mt19937_64& rng) {
  std::string random_bytes;
  for (int i = 0; i < 200; ++i) {
    char c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    random_bytes += c == '\n' ? ' ' : c;
  }
  return {
      {"non_json", "not json at all\n", "malformed_request"},
      {"random_bytes", random_bytes + "\n", "malformed_request"},
      {"invalid_utf8", "\xff\xfe\xfd{\"cmd\":\"tap\"}\n", "malformed_request"},
      {"array", "[1,2,3]\n", "malformed_request"},
      {"cmd_not_a_string", "{\"cmd\":5}\n", "malformed_request"},
      {"empty_line", "\n", "malformed_request"},
      {"unknown_command_not_utf8", "{\"cmd\":\"no-such-command-\xe3\x81\"}\n", "malformed_request"},
      {"unknown_command", "{\"cmd\":\"no-such-command\"}\n", "unknown_command"},
      {"reader_wrong_type", "{\"cmd\":\"tap\",\"reader\":5,\"card\":\"alice\"}\n", "bad_field"},
      {"unknown_reader", "{\"cmd\":\"tap\",\"reader\":\"nope\",\"card\":\"alice\"}\n", "unknown_reader"},
      {"unknown_card", "{\"cmd\":\"tap\",\"reader\":\"counter-1\",\"card\":\"nobody\"}\n", "unknown_card"},
      {"bad_pin", "{\"cmd\":\"pin\",\"reader\":\"counter-1\",\"pin\":\"12\"}\n", "bad_pin_format"},
      {"deep_json", std::string(30000, '[') + std::string(30000, ']') + "\n", "malformed_request"},
      {"over_64_kib", std::string(70 * 1024, 'a') + "\n", "request_too_large"},
      {"unfinished_line", "{\"cmd\":\"stat", nullptr},
  };
}

std::optional<json> status_of(const test::Daemon& d) {
  ControlClient c(d.dir() / "control.sock");
  return c.request(json{{"cmd", "status"}});
}

// Offers taps at 20/s for `run_for` on one kept-open connection; the send time of each answered tap by id.
std::map<std::string, Clock::time_point> tap_for(const test::Daemon& d, std::chrono::milliseconds run_for,
                                                 int& refused) {
  std::map<std::string, Clock::time_point> sent;
  ControlClient control(d.dir() / "control.sock");
  const auto start = Clock::now();
  for (int i = 0; start + i * kTapInterval < start + run_for; ++i) {
    std::this_thread::sleep_until(start + i * kTapInterval);
    const auto at = Clock::now();
    auto id = control.tap("counter-1", "alice");
    if (id) {
      sent[*id] = at;
    } else {
      ++refused;
    }
  }
  return sent;
}

std::vector<double> latencies(const std::map<std::string, Clock::time_point>& sent, const Collector& pc) {
  const auto first = pc.first_seen();
  std::vector<double> ms;
  for (const auto& [id, at] : sent) {
    if (auto it = first.find(id); it != first.end()) {
      ms.push_back(std::chrono::duration<double, std::milli>(it->second - at).count());
    }
  }
  return ms;
}

TEST(Flood, MalformedCommandsAndGarbageControlRequestsDuringTapsNeitherCrashNorSlowTaps) {
  Report report("flood");
  const uint64_t seed = seed_from_env(20250404);
  report.count("seed", static_cast<int64_t>(seed));
  std::mt19937_64 rng(seed);
  test::TempDir dir;
  KillableBroker broker(dir.path() / "broker", /*persistent=*/false);
  Collector pc(broker.uri(), {kRoot + "example/seen", kRoot + "replies/#"});
  test::Daemon daemon(dir.path(), test::daemon_config(dir.path(), broker.uri(), test::kExampleStation));
  {
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
      if (auto s = status_of(daemon); s && (*s)["mqtt"] == "connected") break;
      std::this_thread::sleep_for(50ms);
    }
  }
  const pid_t pid = daemon.pid();

  // Quiet: taps alone.
  int refused = 0;
  const auto quiet = tap_for(daemon, kRunFor, refused);
  std::set<std::string> quiet_ids;
  for (const auto& [id, at] : quiet) quiet_ids.insert(id);
  const auto quiet_missing = pc.wait_for_ids(quiet_ids, 5s);
  const std::vector<double> quiet_ms = latencies(quiet, pc);

  // Flooded: the same taps, with both floods and the memory sampler beside them.
  const auto mqtt = mqtt_kinds();
  const auto control = control_kinds(rng);
  const int64_t rss_start = rss_kb(pid);
  const double cpu_start = cpu_seconds(pid);
  std::atomic<int64_t> rss_peak{rss_start};
  std::atomic<bool> flooding{true};
  std::thread sampler([&] {
    while (flooding) {
      const int64_t kb = rss_kb(pid);
      if (kb > rss_peak) rss_peak = kb;
      std::this_thread::sleep_for(50ms);
    }
  });
  // The malformed commands come from a process of their own at a lower
  // priority: in a city they come from another machine, not from the
  // station's own two cores.
  test::Process mqtt_flood(
      {"/usr/bin/nice", "-n", "10", FLOODER_PATH, broker.uri(), kRoot, std::to_string(kMqttCommands),
       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(kRunFor - 1s).count())},
      dir.path() / "flooder.log");
  std::map<std::string, std::pair<std::string, const char*>> sample;  // correlation -> (kind, expected code)
  int expected_replies = 0;
  int oversize_sent = 0;
  for (int i = 0; i < kMqttCommands; ++i) {
    const MqttKind& k = mqtt[kind_of(i)];
    if (oversize(i)) {
      ++oversize_sent;
    } else if (k.code != nullptr) {
      ++expected_replies;
      if (i % 37 == 0) sample[correlation_of(i)] = {k.name, k.code};
    }
  }
  std::map<std::string, std::map<std::string, int>> control_codes;  // kind -> code (or "no answer") -> n
  std::thread control_flood([&] {
    const auto start = Clock::now();
    const auto spread = kRunFor - 1s;
    for (int i = 0; i < kControlRequests; ++i) {
      const ControlKind& k = control[static_cast<size_t>(i) % control.size()];
      const std::string answer = control_once(daemon.dir() / "control.sock", k.bytes, 3s);
      const auto j = json::parse(answer, nullptr, false);
      std::string code = "no answer";
      if (!answer.empty()) code = j.is_object() && j.contains("code") ? j["code"].get<std::string>() : "unparsable";
      ++control_codes[k.name][code];
      std::this_thread::sleep_until(start + spread * (i + 1) / kControlRequests);
    }
  });
  const auto flooded = tap_for(daemon, kRunFor, refused);
  const int flooder_rc = mqtt_flood.wait(30s);
  control_flood.join();
  const double cpu_flood = cpu_seconds(pid) - cpu_start;
  std::set<std::string> flooded_ids;
  for (const auto& [id, at] : flooded) flooded_ids.insert(id);
  const auto flooded_missing = pc.wait_for_ids(flooded_ids, 10s);
  std::this_thread::sleep_for(2s);  // the last replies
  flooding = false;
  sampler.join();
  const std::vector<double> flooded_ms = latencies(flooded, pc);

  // Quiet again: the machine's own noise (other work on a shared CI host)
  // before and after the flood is the baseline the flood is judged against.
  const auto quiet_after = tap_for(daemon, kQuietAfter, refused);
  std::set<std::string> quiet_after_ids;
  for (const auto& [id, at] : quiet_after) quiet_after_ids.insert(id);
  const auto quiet_after_missing = pc.wait_for_ids(quiet_after_ids, 5s);
  const std::vector<double> quiet_after_ms = latencies(quiet_after, pc);
  const double quiet_p99 = std::max(percentile(quiet_ms, 99), percentile(quiet_after_ms, 99));

  // Replies: the sample one by one, the rest by count.
  std::map<std::string, json> replies;  // correlation -> reply
  int replies_total = 0;
  for (const auto& a : pc.arrivals()) {
    if (a.topic.find("/replies/flood/") == std::string::npos) continue;
    ++replies_total;
    replies[a.correlation] = json::parse(a.payload, nullptr, false);
  }
  // An error reply with the kind's own code, or rate_limited once the sender
  // passed [mqtt] command_burst and command_rate (docs/mqtt.md): either is
  // the error reply the command is owed.
  int sample_ok = 0;
  int sample_rate_limited = 0;
  std::map<std::string, int> specific_by_kind;
  std::vector<std::string> sample_bad;
  for (const auto& [corr, expect] : sample) {
    const auto it = replies.find(corr);
    const bool error = it != replies.end() && it->second.is_object() && it->second["ok"] == false;
    const std::string code = error ? it->second["error"]["code"].get<std::string>() : "";
    if (error && code == expect.second) {
      ++sample_ok;
      ++specific_by_kind[expect.first];
    } else if (error && code == "rate_limited") {
      ++sample_ok;
      ++sample_rate_limited;
    } else if (sample_bad.size() < 5) {
      sample_bad.push_back(corr + " (" + expect.first + "): " + (it == replies.end() ? "no reply" : it->second.dump()));
    }
  }
  int rate_limited_total = 0;
  for (const auto& [corr, r] : replies) rate_limited_total += r.is_object() && r["error"]["code"] == "rate_limited";
  const bool alive = ::kill(pid, 0) == 0 && daemon.wait(0ms) == -1;
  const auto status = status_of(daemon);

  report.count("taps_made_quiet", static_cast<int64_t>(quiet.size()));
  report.count("taps_delivered_quiet", static_cast<int64_t>(quiet.size() - quiet_missing.size()));
  report.count("taps_made_flooded", static_cast<int64_t>(flooded.size()));
  report.count("taps_delivered_flooded", static_cast<int64_t>(flooded.size() - flooded_missing.size()));
  report.count("taps_refused", refused);
  report.ms("tap_to_outcome_p50_quiet", percentile(quiet_ms, 50));
  report.ms("tap_to_outcome_p99_quiet", percentile(quiet_ms, 99));
  report.count("taps_made_quiet_after", static_cast<int64_t>(quiet_after.size()));
  report.count("taps_delivered_quiet_after", static_cast<int64_t>(quiet_after.size() - quiet_after_missing.size()));
  report.ms("tap_to_outcome_p99_quiet_after", percentile(quiet_after_ms, 99));
  report.ms("tap_to_outcome_p50_flooded", percentile(flooded_ms, 50));
  report.ms("tap_to_outcome_p99_flooded", percentile(flooded_ms, 99));
  report.ms("tap_to_outcome_max_flooded", percentile(flooded_ms, 100));
  report.count("mqtt_commands_sent", flooder_rc == 0 ? kMqttCommands : 0);
  report.count("mqtt_commands_over_max_packet_size", oversize_sent);
  report.count("mqtt_replies_expected", expected_replies);
  report.count("mqtt_replies_received", replies_total);
  report.count("mqtt_reply_sample", static_cast<int64_t>(sample.size()));
  report.count("mqtt_reply_sample_answered_with_an_error", sample_ok);
  report.count("mqtt_reply_sample_rate_limited", sample_rate_limited);
  report.count("mqtt_replies_rate_limited", rate_limited_total);
  report.count("control_requests_sent", kControlRequests);
  for (const auto& [kind, codes] : control_codes) {
    std::string line;
    for (const auto& [code, n] : codes) line += (line.empty() ? "" : ", ") + code + " x" + std::to_string(n);
    report.note("control_" + kind, line);
  }
  report.ms("kazasud_cpu_during_the_flooded_run", cpu_flood * 1000);
  report.count("rss_kb_start", rss_start);
  report.count("rss_kb_peak", rss_peak);
  report.count("rss_kb_end", rss_kb(pid));
  report.note("kazasud_alive", alive ? "yes" : "no");

  EXPECT_EQ(flooder_rc, 0) << "the flooder failed: " << mqtt_flood.output();
  EXPECT_TRUE(alive) << "kazasud is gone";
  ASSERT_TRUE(status.has_value()) << "kazasud no longer answers its control socket";
  EXPECT_EQ((*status)["mqtt"], "connected");
  EXPECT_EQ(refused, 0);
  EXPECT_TRUE(quiet_missing.empty()) << quiet_missing.size() << " quiet taps never delivered";
  EXPECT_TRUE(flooded_missing.empty()) << flooded_missing.size() << " taps never delivered during the flood";
  EXPECT_GE(quiet.size(), 150u);
  EXPECT_GE(flooded.size(), 150u);
  EXPECT_TRUE(quiet_after_missing.empty()) << quiet_after_missing.size() << " taps after the flood never delivered";
  const double bound = 2 * std::max(quiet_p99, 5.0);
  report.ms("flooded_p99_bound", bound);
  if (kSanitized) {
    // ASan keeps freed memory in quarantine (256 MiB) and every sanitizer slows the busy
    // path most: these two bounds say nothing there. The rest of the case still holds.
    report.note("latency_and_memory_bounds", "not checked in a sanitizer build");
  } else {
    EXPECT_LE(percentile(flooded_ms, 99), bound) << "the flood slowed taps down";
    EXPECT_LE(rss_peak - rss_start, kRssHeadroomKb) << "kazasud's memory grew with the flood";
  }
  EXPECT_EQ(sample_ok, static_cast<int>(sample.size()))
      << "malformed commands without their error reply, e.g. " << (sample_bad.empty() ? "" : sample_bad.front());
  for (const auto& k : mqtt) {
    if (k.code != nullptr) {
      EXPECT_GT(specific_by_kind[k.name], 0) << "no sample of " << k.name << " got " << k.code;
    }
  }
  for (const auto& k : control) {
    const auto& codes = control_codes[k.name];
    const std::string want = k.code != nullptr ? k.code : "no answer";
    const auto it = codes.find(want);
    const int total = [&] {
      int n = 0;
      for (const auto& [code, c] : codes) n += c;
      return n;
    }();
    EXPECT_EQ(it == codes.end() ? 0 : it->second, total) << "control request " << k.name << " expected " << want;
  }
  if (::testing::Test::HasFailure()) std::cerr << "kazasud log (last 8 KB):\n" << tail(daemon.log(), 8192);
  keep_on_failure(dir.path());
}

}  // namespace
}  // namespace kazasu::faults
