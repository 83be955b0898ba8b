#include "vpcd_link.hpp"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace kazasu::cardsim {

namespace {

void set_int_option(int fd, int level, int option, int value) {
  (void)::setsockopt(fd, level, option, &value, sizeof value);
}

}  // namespace

std::optional<VpcdLink> VpcdLink::connect(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return std::nullopt;
  std::optional<VpcdLink> link;
  for (addrinfo* ai = found; ai && !link; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) continue;
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) continue;
    // One small frame each way per APDU: Nagle would hold our answer for the peer's
    // delayed ACK (~40 ms per APDU, design.md "Real parts").
    set_int_option(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1);
    link = VpcdLink(std::move(fd));
  }
  ::freeaddrinfo(found);
  return link;
}

bool VpcdLink::read_exact(std::uint8_t* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::recv(fd_.get(), data + done, size - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<Bytes> VpcdLink::read_frame() {
  // Linux clears TCP_QUICKACK after it fires, so it has to be armed again before every
  // read, or the ACK of vpcd's command waits for the delayed-ACK timer.
  set_int_option(fd_.get(), IPPROTO_TCP, TCP_QUICKACK, 1);
  std::uint8_t header[2];
  if (!read_exact(header, sizeof header)) return std::nullopt;
  const std::size_t length = (std::size_t{header[0]} << 8) | header[1];
  Bytes payload(length);
  if (length > 0 && !read_exact(payload.data(), length)) return std::nullopt;
  set_int_option(fd_.get(), IPPROTO_TCP, TCP_QUICKACK, 1);
  return payload;
}

bool VpcdLink::write_frame(const Bytes& payload) {
  if (payload.size() > 0xFFFF) return false;
  Bytes frame;
  frame.reserve(payload.size() + 2);
  append_be16(frame, static_cast<std::uint16_t>(payload.size()));
  append(frame, payload);
  std::size_t done = 0;
  while (done < frame.size()) {
    const ssize_t n = ::send(fd_.get(), frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void VpcdLink::break_off() {
  if (!fd_) return;
  // Whatever vpcd is doing when the reset arrives, it fails:
  // - idle, or about to send the next command: the send fails (ECONNRESET);
  // - already waiting for an answer: it reads this header, and the payload read fails.
  // Without the header, that read fails on the length itself, and vpcd 3.3 mistakes that
  // failure for a zero-length answer (pcscd: SCARD_S_SUCCESS with 0 bytes).
  static const std::uint8_t kTruncatedFrame[2] = {0x00, 0x02};  // an SW1 SW2 never sent
  (void)::send(fd_.get(), kTruncatedFrame, sizeof kTruncatedFrame, MSG_NOSIGNAL);
  // SO_LINGER 0 drops bytes the kernel has not sent yet, so wait until nothing is left
  // unsent (at once on loopback; capped for a slow remote vpcd).
  using namespace std::chrono_literals;
  const auto deadline = std::chrono::steady_clock::now() + 200ms;
  int unsent = 0;
  while (::ioctl(fd_.get(), SIOCOUTQNSD, &unsent) == 0 && unsent > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  const linger reset_on_close{1, 0};
  (void)::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &reset_on_close, sizeof reset_on_close);
  fd_.reset();
}

}  // namespace kazasu::cardsim
