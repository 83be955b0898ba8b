// Offers taps to a running kazasud at a fixed rate through its control socket
// (open loop: a slow daemon does not slow the offered load down), and reports
// the rate it achieved and what the generator itself cost.
//
//   kazasu-tap-load SOCKET READER[,READER...] CARD[,CARD...] RATE_PER_S SECONDS
//                   [--connections N] [--connect-per-tap] [--json]
//
// By default a few persistent connections carry every tap (`"keep_open":true`
// on each request, so kazasud answers each line and waits for the next); taps
// due at the same moment go out in one write. Readers and cards are used in
// turn. --connect-per-tap is the old generator: one blocking connection per
// tap, for comparison. Reply latency is from the moment a tap was due to its
// answer line, so a generator or socket that falls behind shows in it.
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    const size_t end = comma == std::string::npos ? list.size() : comma;
    if (end > start) out.push_back(list.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int connect_to(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto k = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(k, v.size() - 1)];
}

struct Tally {
  long sent = 0;
  long ok = 0;
  long failed = 0;
  std::vector<double> reply_ms;
};

// The old way: connect, one request, read the answer, close; blocking.
bool tap_once(const std::string& socket_path, const std::string& request) {
  const int fd = connect_to(socket_path);
  if (fd < 0) return false;
  bool ok = ::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size());
  char buf[512];
  std::string reply;
  ssize_t n = 0;
  while (ok && (n = ::read(fd, buf, sizeof buf)) > 0) {
    reply.append(buf, static_cast<size_t>(n));
    if (reply.find('\n') != std::string::npos) break;
  }
  ::close(fd);
  return ok && reply.find("\"ok\":true") != std::string::npos;
}

struct Conn {
  int fd = -1;
  std::string out;                    // bytes not yet written
  std::string in;                     // bytes of a partial answer line
  std::deque<Clock::time_point> due;  // when each unanswered tap was due
};

class Generator {
 public:
  Generator(std::vector<std::string> requests, double rate, long total)
      : requests_(std::move(requests)), interval_(1.0 / rate), total_(total) {}

  bool open(const std::string& path, int connections) {
    for (int i = 0; i < connections; ++i) {
      Conn c;
      c.fd = connect_to(path);
      if (c.fd < 0) return false;
      conns_.push_back(std::move(c));
    }
    return true;
  }

  Tally run_persistent(Clock::time_point start, std::chrono::seconds drain_limit) {
    Tally t;
    t.reply_ms.reserve(static_cast<size_t>(total_));
    long next = 0;
    Clock::time_point last_due = start;
    while (true) {
      const auto now = Clock::now();
      // Everything due by now goes out, round robin over the connections.
      while (next < total_) {
        const auto due = start + std::chrono::duration_cast<Clock::duration>(interval_ * static_cast<double>(next));
        if (due > now) break;
        Conn& c = conns_[static_cast<size_t>(next) % conns_.size()];
        c.out += requests_[static_cast<size_t>(next) % requests_.size()];
        c.due.push_back(due);
        last_due = due;
        ++next;
        ++t.sent;
      }
      for (auto& c : conns_) flush(c);
      const long answered = t.ok + t.failed;
      if (next >= total_ && answered >= t.sent) break;
      if (next >= total_ && now - last_due > drain_limit) break;  // answers that never came count as failed below
      // Sleep until the next tap is due or an answer arrives.
      int timeout_ms = 100;
      if (next < total_) {
        const auto due = start + std::chrono::duration_cast<Clock::duration>(interval_ * static_cast<double>(next));
        const auto left = std::chrono::duration_cast<std::chrono::microseconds>(due - Clock::now()).count();
        timeout_ms = left <= 0 ? 0 : static_cast<int>((left + 999) / 1000);
      }
      std::vector<pollfd> fds;
      for (const auto& c : conns_) {
        fds.push_back(pollfd{c.fd, static_cast<short>(POLLIN | (c.out.empty() ? 0 : POLLOUT)), 0});
      }
      if (next < total_ && timeout_ms <= 1) {
        // Sub-millisecond spacing: poll without sleeping, then spin briefly.
        ::poll(fds.data(), fds.size(), 0);
      } else {
        ::poll(fds.data(), fds.size(), timeout_ms);
      }
      for (size_t i = 0; i < fds.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) read_answers(conns_[i], t);
      }
      if (next < total_ && timeout_ms <= 1) {
        const auto due = start + std::chrono::duration_cast<Clock::duration>(interval_ * static_cast<double>(next));
        if (due > Clock::now()) std::this_thread::sleep_until(due);
      }
    }
    for (const auto& c : conns_) t.failed += static_cast<long>(c.due.size());
    return t;
  }

  ~Generator() {
    for (auto& c : conns_) ::close(c.fd);
  }
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

 private:
  static void flush(Conn& c) {
    while (!c.out.empty()) {
      const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n <= 0) return;  // the socket is full: the rest waits for POLLOUT
      c.out.erase(0, static_cast<size_t>(n));
    }
  }

  static void read_answers(Conn& c, Tally& t) {
    char buf[65536];
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) {
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        t.failed += static_cast<long>(c.due.size());  // kazasud closed the connection
        c.due.clear();
      }
      return;
    }
    c.in.append(buf, static_cast<size_t>(n));
    const auto now = Clock::now();
    size_t start = 0;
    for (size_t nl = c.in.find('\n'); nl != std::string::npos; nl = c.in.find('\n', start)) {
      const bool ok = c.in.find("\"ok\":true", start) < nl;
      (ok ? t.ok : t.failed) += 1;
      if (!c.due.empty()) {
        t.reply_ms.push_back(std::chrono::duration<double, std::milli>(now - c.due.front()).count());
        c.due.pop_front();
      }
      start = nl + 1;
    }
    c.in.erase(0, start);
  }

  std::vector<std::string> requests_;
  std::chrono::duration<double> interval_;
  long total_;
  std::vector<Conn> conns_;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> pos;
  int connections = 4;
  bool per_tap = false;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--connections" && i + 1 < argc) {
      connections = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--connect-per-tap") {
      per_tap = true;
    } else if (a == "--json") {
      json = true;
    } else {
      pos.push_back(a);
    }
  }
  if (pos.size() != 5) {
    std::fprintf(stderr,
                 "usage: kazasu-tap-load SOCKET READER[,READER...] CARD[,CARD...] RATE_PER_S SECONDS\n"
                 "                       [--connections N] [--connect-per-tap] [--json]\n");
    return 2;
  }
  const std::string socket_path = pos[0];
  const auto readers = split(pos[1]);
  const auto cards = split(pos[2]);
  const double rate = std::stod(pos[3]);
  const double seconds = std::stod(pos[4]);
  if (readers.empty() || cards.empty() || rate <= 0 || seconds <= 0) {
    std::fprintf(stderr, "kazasu-tap-load: need a reader, a card, a rate and a duration\n");
    return 2;
  }
  // Requests in turn: reader i and card i advance together, so with coprime
  // list sizes every reader sees every card.
  std::vector<std::string> requests;
  const size_t n = readers.size() * cards.size();
  for (size_t i = 0; i < n; ++i) {
    requests.push_back(std::string("{\"cmd\":\"tap\",\"reader\":\"") + readers[i % readers.size()] + "\",\"card\":\"" +
                       cards[i % cards.size()] + "\"" + (per_tap ? "" : ",\"keep_open\":true") + "}\n");
  }
  const auto total = static_cast<long>(rate * seconds);
  const double cpu0 = cpu_seconds();
  const auto start = Clock::now();
  Tally t;
  if (per_tap) {
    const auto interval = std::chrono::duration<double>(1.0 / rate);
    for (long i = 0; i < total; ++i) {
      const auto due = start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i));
      std::this_thread::sleep_until(due);
      ++t.sent;
      const bool ok = tap_once(socket_path, requests[static_cast<size_t>(i) % requests.size()]);
      (ok ? t.ok : t.failed) += 1;
      t.reply_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - due).count());
    }
  } else {
    Generator g(requests, rate, total);
    if (!g.open(socket_path, connections)) {
      std::fprintf(stderr, "kazasu-tap-load: cannot connect to %s\n", socket_path.c_str());
      return 1;
    }
    t = g.run_persistent(start, std::chrono::seconds(30));
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu0;
  const double achieved = static_cast<double>(t.ok) / elapsed;
  if (json) {
    std::printf(
        "{\"offered_per_s\":%.0f,\"taps\":%ld,\"ok\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"achieved_per_s\":%.1f,"
        "\"generator_cpu_s\":%.3f,\"generator_cpu_pct\":%.1f,\"reply_p50_ms\":%.3f,\"reply_p99_ms\":%.3f,"
        "\"reply_max_ms\":%.3f,\"connections\":%d,\"mode\":\"%s\"}\n",
        rate, t.sent, t.ok, t.failed, elapsed, achieved, cpu, 100.0 * cpu / elapsed, percentile(t.reply_ms, 50),
        percentile(t.reply_ms, 99), percentile(t.reply_ms, 100), per_tap ? 0 : connections,
        per_tap ? "connect_per_tap" : "persistent");
  } else {
    std::printf(
        "offered=%.0f/s taps=%ld failed=%ld seconds=%.2f achieved=%.0f/s cpu_s=%.2f cpu_pct=%.0f reply_p50_ms=%.2f "
        "reply_p99_ms=%.2f\n",
        rate, t.ok, t.failed, elapsed, achieved, cpu, 100.0 * cpu / elapsed, percentile(t.reply_ms, 50),
        percentile(t.reply_ms, 99));
  }
  return t.failed == 0 ? 0 : 1;
}
