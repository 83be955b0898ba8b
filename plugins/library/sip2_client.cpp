#include "sip2_client.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

namespace kazasu::library {
namespace {

using Clock = std::chrono::steady_clock;

// Beyond this a response is not a SIP2 answer about one patron without item
// lists; stop reading instead of buffering whatever the peer sends.
constexpr size_t kMaxResponseBytes = size_t{64} * 1024;

class Deadline {
 public:
  explicit Deadline(int ms) : end_(Clock::now() + std::chrono::milliseconds(ms)) {}
  [[nodiscard]] int remaining_ms() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end_ - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
  }

 private:
  Clock::time_point end_;
};

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Socket& operator=(Socket&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct AddrInfoFree {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};

struct Failure {
  std::string reason;
  std::string detail;
};

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_for(int fd, short events, const Deadline& deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, deadline.remaining_ms());
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::optional<Failure> connect_to(const Sip2Config& c, const Deadline& deadline, Socket& out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  // Name resolution blocks outside the deadline; README recommends an address or an /etc/hosts name.
  const int gai = ::getaddrinfo(c.host.c_str(), std::to_string(c.port).c_str(), &hints, &raw);
  if (gai != 0) return Failure{"connect_failed", std::string("cannot resolve the SIP2 host: ") + gai_strerror(gai)};
  const std::unique_ptr<addrinfo, AddrInfoFree> list(raw);
  std::string last = "no address";
  for (const addrinfo* a = list.get(); a != nullptr; a = a->ai_next) {
    Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (!s.valid()) continue;
    const int one = 1;
    // One small request and one answer per step: Nagle would only add latency.
    ::setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(s.fd(), a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = std::strerror(errno);
        continue;
      }
      if (!wait_for(s.fd(), POLLOUT, deadline)) return Failure{"timeout", "connecting to the SIP2 server timed out"};
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        last = std::strerror(err);
        continue;
      }
    }
    out = std::move(s);
    return std::nullopt;
  }
  return Failure{"connect_failed", "cannot connect to the SIP2 server: " + last};
}

std::optional<Failure> send_all(int fd, std::string_view data, const Deadline& deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLOUT, deadline)) return Failure{"timeout", "sending to the SIP2 server timed out"};
      continue;
    }
    return Failure{"connect_failed", std::string("the SIP2 connection failed: ") + std::strerror(errno)};
  }
  return std::nullopt;
}

// Reads one CR-terminated message; bytes after it stay in `buffer` (an LF of CR LF).
std::optional<Failure> read_message(int fd, std::string& buffer, const Deadline& deadline, std::string& message) {
  for (;;) {
    const size_t cr = buffer.find(sip2::kTerminator);
    if (cr != std::string::npos) {
      message = buffer.substr(0, cr + 1);
      buffer.erase(0, cr + 1);
      return std::nullopt;
    }
    if (buffer.size() > kMaxResponseBytes) return Failure{"protocol_error", "the SIP2 response has no terminator"};
    if (!wait_for(fd, POLLIN, deadline)) return Failure{"timeout", "the SIP2 server did not answer in time"};
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer.append(chunk, static_cast<size_t>(n));
    } else if (n == 0) {
      return Failure{"connect_failed", "the SIP2 server closed the connection"};
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      return Failure{"connect_failed", std::string("reading from the SIP2 server failed: ") + std::strerror(errno)};
    }
  }
}

// One request and its response, with the spec's recovery: a response with a
// bad checksum gets one 97 (resend), a 96 from the ACS gets our message once more.
class Exchange {
 public:
  Exchange(int fd, const Deadline& deadline, const Charset& charset, bool error_detection)
      : fd_(fd), deadline_(deadline), charset_(charset), error_detection_(error_detection) {}

  std::optional<Failure> run(const std::string& body_utf8, std::optional<int> seq, const std::string& expect,
                             sip2::Response& response) {
    const std::string request = sip2::seal(charset_.to_wire(body_utf8), error_detection_ ? seq : std::nullopt);
    const std::string resend =
        error_detection_ ? "97AZ" + sip2::checksum("97AZ") + sip2::kTerminator : std::string("97\r");
    std::string to_send = request;
    bool retried = false;
    const sip2::Decode decode = [this](std::string_view b) { return charset_.from_wire(b); };
    for (;;) {
      if (auto f = send_all(fd_, to_send, deadline_)) return f;
      std::string wire;
      if (auto f = read_message(fd_, buffer_, deadline_, wire)) return f;
      const sip2::ParseError err = sip2::parse(wire, decode, response);
      if (err == sip2::ParseError::bad_checksum) {
        if (retried) return Failure{"bad_checksum", "the SIP2 response failed its checksum twice"};
        retried = true;
        to_send = resend;
        continue;
      }
      if (err != sip2::ParseError::none) return Failure{"protocol_error", "the SIP2 response is malformed"};
      if (response.code == "96") {
        if (retried) return Failure{"protocol_error", "the SIP2 server asked for a resend twice"};
        retried = true;
        to_send = request;
        continue;
      }
      if (response.code != expect) {
        return Failure{"protocol_error", "expected a SIP2 " + expect + " response, got " + response.code};
      }
      if (error_detection_ && seq && response.sequence && *response.sequence != *seq % 10) {
        return Failure{"protocol_error", "the SIP2 response carries another sequence number"};
      }
      return std::nullopt;
    }
  }

 private:
  int fd_;
  const Deadline& deadline_;
  const Charset& charset_;
  bool error_detection_;
  std::string buffer_;
};

}  // namespace

Sip2Client::Sip2Client(Sip2Config config) : config_(std::move(config)), charset_(config_.charset) {}

Sip2Lookup Sip2Client::lookup(const std::string& patron, int64_t now_ms, int32_t utc_offset_seconds) {
  const Deadline deadline(config_.timeout_ms);
  Sip2Lookup out;
  auto fail = [&](const Failure& f) {
    out.ok = false;
    out.reason = f.reason;
    out.detail = f.detail;
    return out;
  };
  Socket socket;
  if (auto f = connect_to(config_, deadline, socket)) return fail(*f);
  Exchange exchange(socket.fd(), deadline, charset_, config_.error_detection);
  sip2::Response response;
  auto next_sequence = [this] {
    const int s = sequence_;
    sequence_ = (sequence_ + 1) % 10;
    return s;
  };

  if (!config_.login.empty()) {
    const std::string body = sip2::login_body({config_.login, config_.password, config_.location});
    if (auto f = exchange.run(body, next_sequence(), "94", response)) return fail(*f);
    if (response.fixed != "1") return fail({"login_refused", "the SIP2 server refused the login"});
  }

  const sip2::PatronRequest request{config_.institution, patron, sip2::transaction_date(now_ms, utc_offset_seconds)};
  const bool info = config_.message == Sip2Message::patron_information;
  const std::string body = info ? sip2::patron_information_body(request) : sip2::patron_status_body(request);
  if (auto f = exchange.run(body, next_sequence(), info ? "64" : "24", response)) return fail(*f);
  auto parsed = sip2::patron_info_from(response);
  if (!parsed) return fail({"protocol_error", "the SIP2 patron response is malformed"});
  out.ok = true;
  out.info = std::move(*parsed);
  return out;
}

}  // namespace kazasu::library
