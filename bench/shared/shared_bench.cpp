// Shared state at the scale of a city: one PostgreSQL cluster (the test
// fixture's: initdb on a free loopback port, fsync off) and, per step, N
// station processes, each with its own PgEngine and so its own connection, as
// separate kazasud would have. Every call's latency is recorded; the parent
// reports per step the calls per second, p50/p99/max and the calls that did
// not answer, and checks the answers against each other and the database.
//
//   kazasu-shared-bench [--stations 1,10,50,100] [--modes own,race,mix]
//                       [--seconds 3] [--warmup 0.5] [--rate 0] [--deadline-ms 1500]
//
// Modes:
//   own   each station claims keys of its own (its share of the voters):
//         every claim must answer ok
//   race  all stations claim the same keys in the same order (a double vote
//         tried at every station at once): each key must have exactly one
//         winner, every loser must name it, and the table must agree
//   mix   a pool of 1000 mappings: 1 put for 3 gets, at random
// The fixture's cluster runs with fsync off: the figures leave out the
// disk (a city's server flushes its WAL at every commit).
// Each step runs --warmup seconds (the stations all wake at once; those calls
// are checked but not timed), then --seconds timed.
// --rate R paces each station at R calls/s (latency counted from the planned
// start, so a station that falls behind shows it); 0 = back to back.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "postgres.hpp"
#include "process.hpp"
#include "shared/pg_engine.hpp"

namespace {

namespace fs = std::filesystem;
using kazasu::shared::PgEngine;
using kazasu::shared::Status;
using Clock = std::chrono::steady_clock;

constexpr const char* kPlugin = "bench";
constexpr int kMixKeys = 1000;

enum class Op : uint8_t { claim = 0, put = 1, get = 2 };

// One call, as a station records it.
struct Call {
  uint32_t key;     // key index within the step
  uint16_t holder;  // claim answered exists: the holder's station index; else 0xffff
  uint8_t op;
  uint8_t status;
  uint32_t latency_us;
  uint32_t warmup;  // made in the first --warmup seconds: checked, not timed
};
static_assert(sizeof(Call) == 16);

// What a station writes at the end: a header, then its calls.
struct Header {
  int64_t start_ns;
  int64_t end_ns;
  uint64_t calls;
  uint64_t warmup_failed;
};

struct Options {
  std::vector<int> stations{1, 10, 50, 100};
  std::vector<std::string> modes{"own", "race", "mix"};
  double seconds = 3;
  double rate = 0;
  double warmup = 0.5;
  int deadline_ms = 1500;
};

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string station_name(int index) {
  return "bench/s" + std::to_string(index);
}

uint16_t station_index(const std::string& name) {
  const std::string prefix = "bench/s";
  if (name.rfind(prefix, 0) != 0) return 0xfffe;
  return static_cast<uint16_t>(std::stoi(name.substr(prefix.size())));
}

bool write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// ---- a station (child process) ----

[[noreturn]] void station_main(const Options& opt, const std::string& conninfo, const std::string& mode,
                               const std::string& step, int index, int count, int ready_fd, int start_fd,
                               const fs::path& out, pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(3);
  ::signal(SIGINT, SIG_IGN);  // the parent decides when to stop

  PgEngine engine(PgEngine::Options{conninfo, std::chrono::milliseconds(opt.deadline_ms), 1});
  const kazasu::shared::Writer writer{station_name(index), 0};
  // Connect (and meet the schema) before the clock starts, as a running kazasud would have.
  Header header{};
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (engine.get(kPlugin, "warmup").status != Status::unavailable) break;
    ++header.warmup_failed;
  }
  const char ready = 'r';
  write_all(ready_fd, &ready, 1);
  ::close(ready_fd);
  char dummy;
  while (::read(start_fd, &dummy, 1) < 0 && errno == EINTR) {
  }  // EOF: the parent closed the start pipe, everyone goes

  std::vector<Call> calls;
  calls.reserve(1 << 16);
  std::mt19937_64 rng(static_cast<uint64_t>(index) * 7919 + 17);
  const auto start = Clock::now();
  const auto timed = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.warmup));
  const auto end = timed + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.seconds));
  const auto interval = opt.rate > 0
                            ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / opt.rate))
                            : Clock::duration::zero();
  // Paced stations are spread over one interval so they do not all fire at once.
  auto planned = start + (opt.rate > 0 ? interval * index / std::max(count, 1) : Clock::duration::zero());
  uint32_t i = 0;
  std::string value = "station " + writer.station + " ";
  value.resize(64, '.');
  while (true) {
    if (opt.rate > 0) {
      if (planned >= end) break;
      std::this_thread::sleep_until(planned);
    } else if (Clock::now() >= end) {
      break;
    }
    const auto t0 = opt.rate > 0 ? planned : Clock::now();
    Call c{i, 0xffff, 0, 0, 0, t0 < timed ? 1u : 0u};
    kazasu::shared::Writer w = writer;
    w.at_unix_ms = unix_ms();
    if (mode == "own" || mode == "race") {
      const std::string key = mode == "own" ? "own/" + step + "/" + std::to_string(index) + "/" + std::to_string(i)
                                            : "race/" + step + "/" + std::to_string(i);
      const std::string claim_id = step + "-" + std::to_string(index) + "-" + std::to_string(i);
      auto r = engine.claim(kPlugin, key, value, claim_id, w);
      c.op = static_cast<uint8_t>(Op::claim);
      c.status = static_cast<uint8_t>(r.status);
      if (r.status == Status::exists) c.holder = station_index(r.record.station);
    } else {
      const uint32_t k = static_cast<uint32_t>(rng() % kMixKeys);
      const std::string key = "mix/" + std::to_string(k);
      c.key = k;
      if (rng() % 4 == 0) {
        auto r = engine.put(kPlugin, key, std::string_view(value), -1, w);
        c.op = static_cast<uint8_t>(Op::put);
        c.status = static_cast<uint8_t>(r.status);
      } else {
        auto r = engine.get(kPlugin, key);
        c.op = static_cast<uint8_t>(Op::get);
        c.status = static_cast<uint8_t>(r.status);
      }
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    c.latency_us = static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX));
    calls.push_back(c);
    ++i;
    if (opt.rate > 0) planned += interval;
  }
  header.start_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timed.time_since_epoch()).count();
  header.end_ns = now_ns();
  header.calls = calls.size();
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const bool ok = fd >= 0 && write_all(fd, &header, sizeof header) &&
                  write_all(fd, calls.data(), calls.size() * sizeof(Call)) && ::close(fd) == 0;
  ::_exit(ok ? 0 : 4);
}

// ---- the parent ----

struct Latencies {
  std::vector<uint32_t> us;
  double pct(double p) const {
    if (us.empty()) return 0;
    const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(us.size())));
    return us[std::min(us.size() - 1, rank == 0 ? 0 : rank - 1)] / 1000.0;
  }
  double max() const { return us.empty() ? 0 : us.back() / 1000.0; }
};

struct Tally {
  Latencies lat;
  uint64_t by_status[8] = {};
};

std::string ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.2f" : "%.1f", v);
  return buf;
}

void print_row(const std::string& mode, int stations, const std::string& op, Tally& t, double window_s,
               const std::string& check) {
  std::sort(t.lat.us.begin(), t.lat.us.end());
  const uint64_t n = t.lat.us.size();
  const uint64_t unavailable = t.by_status[static_cast<int>(Status::unavailable)];
  const uint64_t answered = n - unavailable;
  std::printf("| %s | %d | %s | %llu | %.0f | %s | %s | %s | %llu | %s |\n", mode.c_str(), stations, op.c_str(),
              static_cast<unsigned long long>(n), window_s > 0 ? static_cast<double>(answered) / window_s : 0.0,
              ms(t.lat.pct(0.50)).c_str(), ms(t.lat.pct(0.99)).c_str(), ms(t.lat.max()).c_str(),
              static_cast<unsigned long long>(unavailable), check.c_str());
  std::fflush(stdout);
}

// Runs one step: `count` stations in `mode`; prints its row(s). False when a station failed.
bool run_step(const Options& opt, const kazasu::test::Postgres& pg, const std::string& conninfo,
              const std::string& mode, int count, const fs::path& dir) {
  static int step_no = 0;
  const std::string step = mode + std::to_string(count) + "-" + std::to_string(++step_no);
  if (mode == "mix") {
    pg.sql(std::string("INSERT INTO kazasu.shared_records (plugin, key, value, version, station, at_ms)"
                       " SELECT '") +
           kPlugin + "', 'mix/' || g, repeat('.', 64), 1, 'bench/seed', 0 FROM generate_series(0, " +
           std::to_string(kMixKeys - 1) + ") g ON CONFLICT DO NOTHING");
  }
  int ready[2], start[2];
  if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(start, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t parent = ::getpid();
  std::vector<pid_t> children;
  for (int s = 0; s < count; ++s) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::close(ready[0]);
      ::close(start[1]);
      station_main(opt, conninfo, mode, step, s, count, ready[1], start[0],
                   dir / (step + "-" + std::to_string(s) + ".bin"), parent);
    }
    children.push_back(pid);
  }
  ::close(ready[1]);
  ::close(start[0]);
  // Every station connected (or gave up), then all start at once.
  int got = 0;
  char buf[256];
  while (got < count) {
    const ssize_t n = ::read(ready[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // a station died before it was ready
    got += static_cast<int>(n);
  }
  ::close(ready[0]);
  ::close(start[1]);

  // Reap; a station that is not done long after its time is killed (by its pid).
  const auto limit = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(opt.seconds + 10 + 2.0 * opt.deadline_ms / 1000));
  bool all_ok = got == count;
  size_t left = children.size();
  std::vector<bool> done(children.size(), false);
  while (left > 0) {
    for (size_t c = 0; c < children.size(); ++c) {
      if (done[c]) continue;
      int status = 0;
      const pid_t r = ::waitpid(children[c], &status, WNOHANG);
      if (r == children[c]) {
        done[c] = true;
        --left;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) all_ok = false;
      }
    }
    if (left == 0) break;
    if (Clock::now() > limit || g_stop) {
      for (size_t c = 0; c < children.size(); ++c) {
        if (!done[c]) ::kill(children[c], SIGKILL);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  // Read what the stations recorded.
  std::map<int, Tally> by_op;
  int64_t first_start = INT64_MAX, last_end = 0;
  uint64_t warmup_failed = 0;
  // race: per key, the winners and the holders the losers were told of
  struct KeySeen {
    int winners = 0;
    int winner = -1;
    bool holders_agree = true;
    std::vector<uint16_t> holders;
  };
  std::map<uint32_t, KeySeen> keys;
  uint64_t own_not_ok = 0, own_ok = 0;
  for (int s = 0; s < count; ++s) {
    const fs::path file = dir / (step + "-" + std::to_string(s) + ".bin");
    const std::string data = kazasu::test::read_file(file);
    fs::remove(file);
    if (data.size() < sizeof(Header)) {
      all_ok = false;
      continue;
    }
    Header h;
    std::memcpy(&h, data.data(), sizeof h);
    first_start = std::min(first_start, h.start_ns);
    last_end = std::max(last_end, h.end_ns);
    warmup_failed += h.warmup_failed;
    const size_t n = std::min<size_t>(h.calls, (data.size() - sizeof h) / sizeof(Call));
    for (size_t k = 0; k < n; ++k) {
      Call c;
      std::memcpy(&c, data.data() + sizeof h + k * sizeof(Call), sizeof c);
      if (c.warmup == 0) {
        Tally& t = by_op[c.op];
        t.lat.us.push_back(c.latency_us);
        t.by_status[c.status & 7]++;
      }
      const auto st = static_cast<Status>(c.status);
      if (mode == "own") ++(st == Status::ok ? own_ok : own_not_ok);
      if (mode == "race") {
        KeySeen& ks = keys[c.key];
        if (st == Status::ok) {
          ++ks.winners;
          ks.winner = s;
        } else if (st == Status::exists) {
          ks.holders.push_back(c.holder);
        }
      }
    }
  }
  const double window = last_end > first_start ? static_cast<double>(last_end - first_start) / 1e9 : 0;

  std::string check;
  if (mode == "own") {
    const std::string rows = pg.sql(std::string("SELECT count(*) FROM kazasu.shared_records WHERE plugin = '") +
                                    kPlugin + "' AND key LIKE 'own/" + step + "/%'");
    const uint64_t in_table = std::stoull(rows);
    const uint64_t ok = own_ok;
    check = (own_not_ok == 0 && in_table == ok ? "all ok, " : "MISMATCH: ") + std::to_string(in_table) + " rows for " +
            std::to_string(ok) + " ok";
    if (own_not_ok != 0 || in_table != ok) all_ok = false;
  } else if (mode == "race") {
    // The table's holder of every key, to compare with the answers.
    std::map<uint32_t, int> table;
    std::istringstream rows(pg.sql(std::string("SELECT substr(key, length('race/") + step +
                                   "/') + 1), station FROM kazasu.shared_records WHERE plugin = '" + kPlugin +
                                   "' AND key LIKE 'race/" + step + "/%'"));
    std::string line;
    while (std::getline(rows, line)) {
      const size_t bar = line.find('|');
      if (bar == std::string::npos) continue;
      table[static_cast<uint32_t>(std::stoul(line.substr(0, bar)))] = station_index(line.substr(bar + 1));
    }
    uint64_t not_one = 0, disagree = 0, table_wrong = 0, undecided = 0;
    for (auto& [key, ks] : keys) {
      if (ks.winners == 0) {
        // Every claim of it that may have won went unanswered (unavailable): not judged.
        ++undecided;
        continue;
      }
      if (ks.winners != 1) ++not_one;
      for (uint16_t h : ks.holders) {
        if (h != ks.winner) ++disagree;
      }
      auto it = table.find(key);
      if (it == table.end() || it->second != ks.winner) ++table_wrong;
    }
    const bool good = not_one == 0 && disagree == 0 && table_wrong == 0;
    check = std::string(good ? "" : "MISMATCH: ") + std::to_string(keys.size()) + " keys, " +
            (not_one == 0 ? "one winner each" : std::to_string(not_one) + " without exactly one winner") + ", " +
            (disagree == 0 ? "losers name it" : std::to_string(disagree) + " losers named another") + ", " +
            (table_wrong == 0 ? "table agrees" : std::to_string(table_wrong) + " differ from the table");
    if (undecided > 0) check += ", " + std::to_string(undecided) + " keys only unavailable";
    if (!good) all_ok = false;
  } else {
    check = "";
  }
  if (warmup_failed > 0) check += " (" + std::to_string(warmup_failed) + " failed warm-up calls)";
  if (got != count) check += " (only " + std::to_string(got) + " stations got ready)";

  if (mode == "mix") {
    print_row(mode, count, "put", by_op[static_cast<int>(Op::put)], window, check);
    print_row(mode, count, "get", by_op[static_cast<int>(Op::get)], window, check);
  } else {
    Tally& t = by_op[static_cast<int>(Op::claim)];
    if (mode == "race") {
      check = std::to_string(t.by_status[static_cast<int>(Status::ok)]) + " won, " +
              std::to_string(t.by_status[static_cast<int>(Status::exists)]) + " lost; " + check;
    }
    print_row(mode, count, "claim", t, window, check);
  }
  return all_ok;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int usage() {
  std::fprintf(
      stderr,
      "usage: kazasu-shared-bench [--stations 1,10,50,100] [--modes own,race,mix] [--seconds 3] [--warmup 0.5]\n"
      "                           [--rate CALLS_PER_S_PER_STATION] [--deadline-ms 1500]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (i + 1 >= argc) return usage();
      const std::string v = argv[++i];
      if (a == "--stations") {
        opt.stations.clear();
        for (const auto& s : split(v)) opt.stations.push_back(std::stoi(s));
      } else if (a == "--modes") {
        opt.modes = split(v);
      } else if (a == "--seconds") {
        opt.seconds = std::stod(v);
      } else if (a == "--warmup") {
        opt.warmup = std::stod(v);
      } else if (a == "--rate") {
        opt.rate = std::stod(v);
      } else if (a == "--deadline-ms") {
        opt.deadline_ms = std::stoi(v);
      } else {
        return usage();
      }
    }
  } catch (const std::exception&) {
    return usage();
  }
  for (const auto& m : opt.modes) {
    if (m != "own" && m != "race" && m != "mix") return usage();
  }
  for (int n : opt.stations) {
    if (n < 1 || n > 250) {
      std::fprintf(stderr, "stations must be 1..250 (the cluster allows 300 connections)\n");
      return 2;
    }
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  try {
    kazasu::test::Postgres pg;
    kazasu::test::TempDir dir;
    // Every engine meets the schema on its first connection; its NOTICEs (already exists) are noise here.
    const std::string conninfo = pg.conninfo() + " options='-c client_min_messages=warning'";
    // The fixture runs without fsync (its command line sets it, so it stays off): no disk in these figures.
    const std::string fsync_now = pg.sql("SHOW fsync");
    // Meet the schema once, so the first step does not time its creation.
    {
      PgEngine engine(PgEngine::Options{conninfo, std::chrono::milliseconds(5000), 1});
      if (engine.get(kPlugin, "warmup").status == Status::unavailable) throw std::runtime_error("no schema");
    }
    std::printf(
        "PostgreSQL on 127.0.0.1:%d (fsync %s), %ld cores, %.1f s per step after %.1f s warm-up, %s, deadline %d "
        "ms\n\n",
        pg.port(), fsync_now.substr(0, fsync_now.find('\n')).c_str(), ::sysconf(_SC_NPROCESSORS_ONLN), opt.seconds,
        opt.warmup, opt.rate > 0 ? ("paced at " + ms(opt.rate) + " calls/s per station").c_str() : "back to back",
        opt.deadline_ms);
    std::printf("| mode | stations | call | calls | answered/s | p50 ms | p99 ms | max ms | unavailable | check |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
    bool ok = true;
    for (const auto& mode : opt.modes) {
      for (int n : opt.stations) {
        if (g_stop) break;
        ok = run_step(opt, pg, conninfo, mode, n, dir.path()) && ok;
      }
    }
    if (g_stop) std::fprintf(stderr, "interrupted\n");
    return ok && !g_stop ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kazasu-shared-bench: %s\n", e.what());
    return 1;
  }
}
