// Offers taps to a running kazasud at a fixed rate through its control socket
// (open loop: a slow daemon does not slow the offered load down), and reports
// the rate it achieved.
//
//   kazasu-tap-load SOCKET READER CARD RATE_PER_S SECONDS
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

namespace {

bool tap_once(const std::string& socket_path, const std::string& request) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            ::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size());
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

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: kazasu-tap-load SOCKET READER CARD RATE_PER_S SECONDS\n");
    return 2;
  }
  const std::string socket_path = argv[1];
  const std::string request =
      std::string("{\"cmd\":\"tap\",\"reader\":\"") + argv[2] + "\",\"card\":\"" + argv[3] + "\"}\n";
  const double rate = std::stod(argv[4]);
  const double seconds = std::stod(argv[5]);
  const auto total = static_cast<long>(rate * seconds);
  const auto interval = std::chrono::duration<double>(1.0 / rate);

  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  long sent = 0;
  long failed = 0;
  for (long i = 0; i < total; ++i) {
    const auto due = start + std::chrono::duration_cast<clock::duration>(interval * static_cast<double>(i));
    std::this_thread::sleep_until(due);
    if (tap_once(socket_path, request)) {
      ++sent;
    } else {
      ++failed;
    }
  }
  const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
  std::printf("offered=%.0f/s taps=%ld failed=%ld seconds=%.2f achieved=%.0f/s\n", rate, sent, failed, elapsed,
              static_cast<double>(sent) / elapsed);
  return failed == 0 ? 0 : 1;
}
