// The simulator binary against a fake vpcd in the test (no pcscd): framing, control
// bytes, faults, delay, trace, control mode and persisted retry counters.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "applications.hpp"
#include "file_util.hpp"
#include "pcsc_fixture.hpp"
#include "profile.hpp"
#include "test_cards.hpp"
#include "unique_fd.hpp"

namespace kazasu::cardsim::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::CardsimProcess;

// Plays vpcd: listens, accepts the simulator, sends frames, reads answers.
class FakeVpcd {
 public:
  explicit FakeVpcd(std::uint16_t port = 0) : port_(port ? port : test::free_tcp_port()) {
    listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const int one = 1;
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port_);
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_.get(), 4) != 0) {
      throw std::runtime_error("fake vpcd cannot listen");
    }
  }

  std::uint16_t port() const { return port_; }

  bool accept_card(std::chrono::milliseconds timeout = 5s) {
    pollfd pfd{listener_.get(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return false;
    conn_.reset(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    const int one = 1;
    ::setsockopt(conn_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return static_cast<bool>(conn_);
  }

  void send_frame(const Bytes& payload) {
    Bytes frame;
    append_be16(frame, static_cast<std::uint16_t>(payload.size()));
    append(frame, payload);
    ASSERT_EQ(::send(conn_.get(), frame.data(), frame.size(), MSG_NOSIGNAL), static_cast<ssize_t>(frame.size()));
  }

  // nullopt when the simulator closed the connection (card removed) or on timeout.
  std::optional<Bytes> read_frame(std::chrono::milliseconds timeout = 5s) {
    std::uint8_t header[2];
    if (!read_exact(header, 2, timeout)) return std::nullopt;
    Bytes payload((std::size_t{header[0]} << 8) | header[1]);
    if (!payload.empty() && !read_exact(payload.data(), payload.size(), timeout)) return std::nullopt;
    return payload;
  }

  Bytes exchange(const Bytes& apdu) {
    send_frame(apdu);
    return read_frame().value_or(Bytes{});
  }
  Bytes exchange(const std::string& hex) { return exchange(from_hex(hex)); }

  // The card left: the connection ends (reset or FIN), with at most a truncated frame
  // before it. The simulator breaks off with the header of a frame it never finishes
  // and a reset (VpcdLink::break_off), so no part of a frame may be mistaken for an answer.
  bool closed_by_card(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = Clock::now() + timeout;
    std::size_t received = 0;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd pfd{conn_.get(), POLLIN, 0};
      if (left <= 0 || ::poll(&pfd, 1, static_cast<int>(left)) != 1) return false;
      std::uint8_t buffer[16];
      const ssize_t n = ::recv(conn_.get(), buffer, sizeof buffer, 0);
      if (n == 0 || (n < 0 && errno == ECONNRESET)) return received <= 2;
      if (n < 0) return false;
      received += static_cast<std::size_t>(n);
    }
  }

  // Sends a command the way vpcd 3.3 does and says whether vpcd would report an error
  // to pcscd. It does when the send fails or when an answer's payload breaks off. When
  // the *length* read fails (FIN or reset), vpcd returns a zero-length answer that pcscd
  // passes on as SCARD_S_SUCCESS: that counts as no error here.
  bool vpcd_reports_error(const Bytes& apdu) {
    Bytes frame;
    append_be16(frame, static_cast<std::uint16_t>(apdu.size()));
    append(frame, apdu);
    if (::send(conn_.get(), frame.data(), frame.size(), MSG_NOSIGNAL) < 0) return true;
    std::uint8_t header[2];
    if (!read_exact(header, 2, 2s)) return false;
    Bytes payload((std::size_t{header[0]} << 8) | header[1]);
    return !payload.empty() && !read_exact(payload.data(), payload.size(), 2s);
  }

  // Raw bytes vpcd would read next, until the connection ends: errno of the end
  // (ECONNRESET for a reset, 0 for a FIN) in `end`.
  Bytes read_until_end(int& end, std::chrono::milliseconds timeout = 5s) {
    Bytes out;
    end = -1;
    while (true) {
      pollfd pfd{conn_.get(), POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return out;
      std::uint8_t buffer[64];
      const ssize_t n = ::recv(conn_.get(), buffer, sizeof buffer, 0);
      if (n == 0) {
        end = 0;
        return out;
      }
      if (n < 0) {
        end = errno;
        return out;
      }
      out.insert(out.end(), buffer, buffer + n);
    }
  }

 private:
  bool read_exact(std::uint8_t* data, std::size_t size, std::chrono::milliseconds timeout) {
    std::size_t done = 0;
    while (done < size) {
      pollfd pfd{conn_.get(), POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return false;
      const ssize_t n = ::recv(conn_.get(), data + done, size - done, 0);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  std::uint16_t port_;
  UniqueFd listener_;
  UniqueFd conn_;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(VpcdProtocol, AnswersGetAtrAndApdusButNotPowerControls) {
  FakeVpcd vpcd;
  CardsimProcess sim(shared_valid_card(), vpcd.port());
  ASSERT_TRUE(vpcd.accept_card());
  vpcd.send_frame({0x01});  // power on: no reply
  vpcd.send_frame({0x04});  // get ATR: the ATR
  EXPECT_EQ(vpcd.read_frame(), from_hex("3BE000FF8131FE4514"));
  EXPECT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
  EXPECT_EQ(vpcd.exchange("00A4"), from_hex("6700"));
}

TEST(VpcdProtocol, PowerOffEndsPinStateAndResetKeepsIt) {
  const fs::path card = make_test_card("valid");
  FakeVpcd vpcd;
  CardsimProcess sim(card, vpcd.port());
  ASSERT_TRUE(vpcd.accept_card());
  vpcd.send_frame({0x01});
  ASSERT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
  ASSERT_EQ(vpcd.exchange("0020009B06414243313233"), from_hex("9000"));
  vpcd.send_frame({0x02});  // warm reset
  ASSERT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
  EXPECT_EQ(vpcd.exchange("0020009B"), from_hex("9000"));  // still verified
  vpcd.send_frame({0x00});                                 // power off
  vpcd.send_frame({0x01});
  ASSERT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
  EXPECT_EQ(vpcd.exchange("0020009B"), from_hex("63C5"));
}

TEST(VpcdProtocol, RetryCountersSurviveARestart) {
  const fs::path card = make_test_card("valid");
  {
    FakeVpcd vpcd;
    CardsimProcess sim(card, vpcd.port());
    ASSERT_TRUE(vpcd.accept_card());
    ASSERT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
    EXPECT_EQ(vpcd.exchange("002000980430303030"), from_hex("63C2"));
    EXPECT_EQ(vpcd.exchange("002000980430303030"), from_hex("63C1"));
    EXPECT_EQ(sim.terminate(), 0);
  }
  EXPECT_NE(read_text(card / kStateFile).find("\"auth_pin\": 1"), std::string::npos);
  FakeVpcd vpcd;
  CardsimProcess sim(card, vpcd.port());
  ASSERT_TRUE(vpcd.accept_card());
  ASSERT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
  EXPECT_EQ(vpcd.exchange("00200098"), from_hex("63C1"));
  EXPECT_EQ(vpcd.exchange("002000980430303030"), from_hex("63C0"));
  EXPECT_EQ(vpcd.exchange("002000980431323334"), from_hex("6984"));
}

TEST(VpcdProtocol, TraceRecordsApdusEventsAndTheMyNumberMarker) {
  test::TempDir dir;
  const fs::path trace = dir.path() / "trace.log";
  FakeVpcd vpcd;
  CardsimProcess sim(shared_valid_card(), vpcd.port(), {"--trace", trace.string()});
  ASSERT_TRUE(vpcd.accept_card());
  vpcd.send_frame({0x01});
  ASSERT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
  ASSERT_EQ(vpcd.exchange(select_aid(kTextAid)), from_hex("9000"));
  ASSERT_EQ(vpcd.exchange(select_ef(kEfBasicFour)), from_hex("9000"));
  EXPECT_EQ(sim.terminate(), 0);
  std::string text = read_text(trace);
  EXPECT_NE(text.find("# connect"), std::string::npos);
  EXPECT_NE(text.find("# power on"), std::string::npos);
  EXPECT_NE(text.find("> 00A4040C0AD392F000260100000001\n< 9000\n"), std::string::npos);
  EXPECT_EQ(text.find("MY NUMBER"), std::string::npos);  // EF 0002 is not the My Number

  const fs::path trace2 = dir.path() / "trace2.log";
  FakeVpcd vpcd2;
  CardsimProcess sim2(shared_valid_card(), vpcd2.port(), {"--trace", trace2.string()});
  ASSERT_TRUE(vpcd2.accept_card());
  ASSERT_EQ(vpcd2.exchange(select_aid(kTextAid)), from_hex("9000"));
  ASSERT_EQ(vpcd2.exchange(select_ef(kEfMyNumber)), from_hex("9000"));
  EXPECT_EQ(sim2.terminate(), 0);
  EXPECT_NE(read_text(trace2).find("> 00A4020C020001\n# SELECTED text-ap EF 0001 (MY NUMBER)\n< 9000\n"),
            std::string::npos)
      << read_text(trace2);
}

TEST(VpcdProtocol, RemoveAfterClosesTheConnectionAfterNApdus) {
  FakeVpcd vpcd;
  CardsimProcess sim(shared_valid_card(), vpcd.port(), {"--fault", "remove-after:2"});
  ASSERT_TRUE(vpcd.accept_card());
  EXPECT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
  EXPECT_FALSE(vpcd.closed_by_card(100ms));
  EXPECT_EQ(vpcd.exchange(select_ef(kEfAuthCert)), from_hex("9000"));
  EXPECT_TRUE(vpcd.closed_by_card());
  EXPECT_EQ(sim.wait_exit(5s), 0);
}

// vpcd 3.3 reads a FIN (or a reset) in place of an answer's length as a zero-length answer
// and pcscd then reports SCARD_S_SUCCESS with no bytes. A pulled card must make the
// transmit fail instead, whether vpcd's next command is sent before or after the removal.
TEST(VpcdProtocol, RemovalBreaksOffWithATruncatedFrameAndAReset) {
  FakeVpcd vpcd;
  CardsimProcess sim(shared_valid_card(), vpcd.port(), {"--fault", "remove-after:1"});
  ASSERT_TRUE(vpcd.accept_card());
  EXPECT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
  int end = -1;
  EXPECT_EQ(vpcd.read_until_end(end), from_hex("0002"));  // a header, never its payload
  EXPECT_EQ(end, ECONNRESET);
  EXPECT_EQ(sim.wait_exit(5s), 0);
}

TEST(VpcdProtocol, CommandSentAfterTheRemovalFails) {
  FakeVpcd vpcd;
  CardsimProcess sim(shared_valid_card(), vpcd.port(), {"--fault", "remove-after:1"});
  ASSERT_TRUE(vpcd.accept_card());
  EXPECT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
  ASSERT_EQ(sim.wait_exit(5s), 0);  // the card is gone before the next command
  EXPECT_TRUE(vpcd.vpcd_reports_error(select_ef(kEfAuthCert)));
}

TEST(VpcdProtocol, CommandRacingTheRemovalFails) {
  // The next command is already on its way when the card leaves (the simulator has not
  // read it): vpcd waits for an answer and must get a broken one, not an empty one.
  FakeVpcd vpcd;
  CardsimProcess sim(shared_valid_card(), vpcd.port(), {}, /*control=*/true);
  ASSERT_TRUE(sim.write_stdin("insert\n"));
  ASSERT_TRUE(vpcd.accept_card());
  EXPECT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
  // Stop the simulator, queue a command it will never read, then let it remove the card.
  ASSERT_EQ(::kill(sim.pid(), SIGSTOP), 0);
  ASSERT_TRUE(sim.write_stdin("remove\n"));
  std::thread resume([&sim] {
    std::this_thread::sleep_for(100ms);  // the command below is in the simulator's socket
    ::kill(sim.pid(), SIGCONT);
  });
  EXPECT_TRUE(vpcd.vpcd_reports_error(select_ef(kEfAuthCert)));
  resume.join();
}

TEST(VpcdProtocol, CorruptAfterFlipsResponseDataButNotTheStatusWord) {
  FakeVpcd vpcd;
  CardsimProcess sim(shared_valid_card(), vpcd.port(), {"--fault", "corrupt-after:3"});
  ASSERT_TRUE(vpcd.accept_card());
  ASSERT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
  ASSERT_EQ(vpcd.exchange(select_ef(kEfCertAvailability)), from_hex("9000"));
  EXPECT_EQ(vpcd.exchange(read_binary(0, 3)), from_hex("7070FF9000"));  // 8F8F00 flipped
}

TEST(VpcdProtocol, DelayMsHoldsEachAnswer) {
  FakeVpcd vpcd;
  CardsimProcess sim(shared_valid_card(), vpcd.port(), {"--delay-ms", "60"});
  ASSERT_TRUE(vpcd.accept_card());
  const auto start = Clock::now();
  ASSERT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
  ASSERT_EQ(vpcd.exchange(select_ef(kEfAuthCert)), from_hex("9000"));
  EXPECT_GE(Clock::now() - start, 120ms);
}

TEST(VpcdProtocol, HoldMsRemovesTheCardAndExits) {
  FakeVpcd vpcd;
  CardsimProcess sim(shared_valid_card(), vpcd.port(), {"--hold-ms", "300"});
  ASSERT_TRUE(vpcd.accept_card());
  const auto start = Clock::now();
  EXPECT_TRUE(vpcd.closed_by_card(3s));
  EXPECT_GE(Clock::now() - start, 200ms);
  EXPECT_EQ(sim.wait_exit(3s), 0);
}

TEST(VpcdProtocol, ControlModeInsertsRemovesAndSwapsCards) {
  const fs::path badge = make_test_card("badge", {"--uid", "04AABBCC"});
  FakeVpcd vpcd;
  CardsimProcess sim(shared_valid_card(), vpcd.port(), {}, /*control=*/true);
  EXPECT_FALSE(vpcd.accept_card(300ms));  // starts outside the field
  ASSERT_TRUE(sim.write_stdin("insert\n"));
  ASSERT_TRUE(vpcd.accept_card());
  EXPECT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("9000"));
  ASSERT_TRUE(sim.write_stdin("remove\n"));
  EXPECT_TRUE(vpcd.closed_by_card());
  ASSERT_TRUE(sim.write_stdin("insert " + badge.string() + "\n"));
  ASSERT_TRUE(vpcd.accept_card());
  EXPECT_EQ(vpcd.exchange("FFCA000000"), from_hex("04AABBCC9000"));
  EXPECT_EQ(vpcd.exchange(select_aid(kJpkiAid)), from_hex("6A82"));
  ASSERT_TRUE(sim.write_stdin("quit\n"));
  EXPECT_EQ(sim.wait_exit(3s), 0);
}

TEST(VpcdProtocol, SimulatorWaitsForVpcdToListen) {
  const std::uint16_t port = test::free_tcp_port();
  CardsimProcess sim(shared_valid_card(), port);
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(sim.running());  // keeps retrying instead of giving up
  FakeVpcd vpcd(port);         // pcscd comes up late
  ASSERT_TRUE(vpcd.accept_card());
  vpcd.send_frame({0x04});
  EXPECT_EQ(vpcd.read_frame(), from_hex("3BE000FF8131FE4514"));
}

}  // namespace
}  // namespace kazasu::cardsim::testing
