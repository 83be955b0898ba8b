#include "runner.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "applications.hpp"
#include "card.hpp"
#include "trace.hpp"
#include "vpcd_link.hpp"

namespace kazasu::cardsim {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kReconnectMs = 100;  // how often to retry while vpcd is not listening

class Session {
 public:
  explicit Session(const RunOptions& options)
      : options_(options),
        trace_(options.trace ? Trace(*options.trace) : Trace()),
        stamps_(options.stamps ? Stamps(*options.stamps) : Stamps()) {}

  int run();

 private:
  void load_card(const std::filesystem::path& dir);
  void insert();
  void remove(const std::string& why);
  void handle_frame(const Bytes& frame);
  bool handle_control_line(const std::string& line);  // false: quit
  int poll_timeout_ms() const;

  RunOptions options_;
  Trace trace_;
  Stamps stamps_;
  std::filesystem::path card_dir_;
  std::unique_ptr<Card> card_;
  std::map<std::string, int> pin_state_;
  std::optional<VpcdLink> link_;
  bool want_inserted_ = false;
  bool quit_ = false;
  std::uint64_t apdus_ = 0;  // per insertion, for --fault
  std::optional<Clock::time_point> hold_until_;
  std::string stdin_buffer_;
};

void Session::load_card(const std::filesystem::path& dir) {
  const CardProfile profile = load_profile(dir);
  pin_state_ = load_pin_state(dir, profile);
  card_ = std::make_unique<Card>(load_card_model(dir, pin_state_), CardOptions{options_.get_response});
  card_dir_ = dir;
  card_->set_event_sink([this](const std::string& event) { trace_.event(event); });
  // Persist every counter change at once: a locked card must stay locked even if the
  // simulator is killed right after the failing VERIFY.
  card_->set_pin_observer([this](const std::string& name, int remaining) {
    pin_state_[name] = remaining;
    save_pin_state(card_dir_, pin_state_);
  });
}

void Session::insert() {
  link_ = VpcdLink::connect(options_.host, options_.port);
  if (!link_) return;
  apdus_ = 0;
  card_->power_off();  // a card entering the field starts unpowered
  stamps_.insert();
  trace_.event("connect " + options_.host + ":" + std::to_string(options_.port) + " card=" + card_dir_.string());
  std::cerr << "cardsim card inserted port=" << options_.port << "\n";
  if (options_.hold_ms && !hold_until_) hold_until_ = Clock::now() + std::chrono::milliseconds(*options_.hold_ms);
}

void Session::remove(const std::string& why) {
  if (!link_) return;
  // Closing the socket is how vpcd learns the card left (jpki.md §6). A plain close is
  // not enough: vpcd would report the next APDU as an empty successful answer.
  link_->break_off();
  link_.reset();
  card_->power_off();
  stamps_.remove();
  trace_.event("remove (" + why + ")");
  std::cerr << "cardsim card removed reason=" << why << "\n";
}

void Session::handle_frame(const Bytes& frame) {
  if (frame.size() == 1) {
    switch (frame[0]) {
      case kVpcdPowerOff:
        card_->power_off();
        trace_.event("power off");
        break;
      case kVpcdPowerOn:
        card_->power_on();
        trace_.event("power on");
        break;
      case kVpcdReset:
        card_->warm_reset();
        trace_.event("reset");
        break;
      // GET ATR is pcscd's presence poll (every 400 ms); not traced, it would drown the APDUs.
      case kVpcdGetAtr:
        link_->write_frame(card_->atr());
        break;
      default:
        trace_.event("unknown control " + to_hex(frame));
        break;
    }
    return;
  }
  const std::int64_t in_ns = stamps_.enabled() ? Stamps::now_ns() : 0;
  ++apdus_;
  trace_.command(frame);
  if (options_.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options_.delay_ms));
  ResponseApdu response = card_->process(frame);
  if (options_.fault.kind == Fault::Kind::kCorruptAfter && apdus_ >= options_.fault.count) {
    for (auto& b : response.data) b ^= 0xFF;
  }
  const Bytes raw = response.serialize();
  trace_.response(raw);
  if (!link_->write_frame(raw)) {
    remove("write failed");
    return;
  }
  if (stamps_.enabled()) stamps_.apdu(in_ns, Stamps::now_ns(), frame);
  if (options_.fault.kind == Fault::Kind::kRemoveAfter && apdus_ >= options_.fault.count) {
    remove("fault remove-after:" + std::to_string(options_.fault.count));
    want_inserted_ = false;
    if (!options_.control) quit_ = true;
  }
}

bool Session::handle_control_line(const std::string& line) {
  std::istringstream words(line);
  std::string command;
  std::string argument;
  words >> command >> argument;
  if (command.empty()) return true;
  if (command == "quit") return false;
  if (command == "remove") {
    remove("control");
    want_inserted_ = false;
  } else if (command == "insert") {
    if (!argument.empty()) {
      remove("control swap");
      load_card(argument);
    }
    want_inserted_ = true;
  } else {
    std::cerr << "cardsim unknown control command=" << command << "\n";
  }
  return true;
}

int Session::poll_timeout_ms() const {
  int timeout = -1;
  if (want_inserted_ && !link_) timeout = kReconnectMs;
  if (hold_until_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*hold_until_ - Clock::now()).count();
    const int left_ms = left < 0 ? 0 : static_cast<int>(left);
    timeout = timeout < 0 ? left_ms : std::min(timeout, left_ms);
  }
  return timeout;
}

int Session::run() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  const UniqueFd signal_fd(::signalfd(-1, &signals, SFD_CLOEXEC));
  ::signal(SIGPIPE, SIG_IGN);

  load_card(options_.card_dir);
  // With --control the card starts outside the field until "insert".
  want_inserted_ = !options_.control;
  bool stdin_open = options_.control;

  while (!quit_) {
    if (want_inserted_ && !link_) insert();
    if (hold_until_ && Clock::now() >= *hold_until_) {
      remove("hold-ms elapsed");
      break;
    }
    pollfd fds[3];
    nfds_t count = 0;
    fds[count++] = {signal_fd.get(), POLLIN, 0};
    const nfds_t stdin_index = count;
    if (stdin_open) fds[count++] = {0, POLLIN, 0};
    const nfds_t link_index = count;
    if (link_) fds[count++] = {link_->fd(), POLLIN, 0};
    if (::poll(fds, count, poll_timeout_ms()) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("poll failed");
    }
    if (fds[0].revents) break;  // SIGINT / SIGTERM: take the card out and leave
    if (stdin_open && fds[stdin_index].revents) {
      char buffer[512];
      const ssize_t n = ::read(0, buffer, sizeof buffer);
      if (n <= 0) {
        quit_ = true;  // stdin closed: the controlling test is gone
      } else {
        stdin_buffer_.append(buffer, static_cast<std::size_t>(n));
        for (auto nl = stdin_buffer_.find('\n'); nl != std::string::npos && !quit_; nl = stdin_buffer_.find('\n')) {
          const std::string line = stdin_buffer_.substr(0, nl);
          stdin_buffer_.erase(0, nl + 1);
          if (!handle_control_line(line)) quit_ = true;
        }
      }
    }
    if (link_ && link_index < count && fds[link_index].revents) {
      const std::optional<Bytes> frame = link_->read_frame();
      if (!frame) {
        remove("vpcd closed the connection");  // pcscd stopped; retry until it is back
      } else {
        handle_frame(*frame);
      }
    }
  }
  remove("exit");
  return 0;
}

}  // namespace

Fault parse_fault(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) throw std::invalid_argument("--fault wants KIND:N");
  const std::string kind = text.substr(0, colon);
  Fault fault;
  fault.count = std::stoull(text.substr(colon + 1));
  if (fault.count == 0) throw std::invalid_argument("--fault N must be at least 1");
  if (kind == "remove-after") {
    fault.kind = Fault::Kind::kRemoveAfter;
  } else if (kind == "corrupt-after") {
    fault.kind = Fault::Kind::kCorruptAfter;
  } else {
    throw std::invalid_argument("unknown --fault kind " + kind);
  }
  return fault;
}

int run_simulator(const RunOptions& options) {
  Session session(options);
  return session.run();
}

}  // namespace kazasu::cardsim
