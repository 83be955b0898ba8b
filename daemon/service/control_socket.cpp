#include "service/control_socket.hpp"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <memory>

#include "core/log.hpp"

namespace kazasu {

struct ControlSocket::Shared {
  ControlSocket::Handler handler;
  size_t sessions = 0;
  bool stopped = false;
  std::function<void()> resume;  // restarts accepting when a session ends at the cap
};

namespace {
constexpr size_t kMaxRequestBytes = size_t{64} * 1024;
constexpr std::chrono::milliseconds kMinBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{2000};

bool out_of_descriptors(const boost::system::error_code& ec) {
  return ec == boost::system::errc::too_many_files_open || ec == boost::system::errc::too_many_files_open_in_system ||
         ec == boost::asio::error::no_buffer_space || ec == boost::asio::error::no_memory;
}

struct Session : std::enable_shared_from_this<Session> {
  boost::asio::local::stream_protocol::socket socket;
  boost::asio::steady_timer deadline;
  boost::asio::streambuf in{kMaxRequestBytes};
  std::string out;
  std::shared_ptr<ControlSocket::Shared> shared;

  Session(boost::asio::local::stream_protocol::socket s, std::shared_ptr<ControlSocket::Shared> sh)
      : socket(std::move(s)), deadline(socket.get_executor()), shared(std::move(sh)) {
    ++shared->sessions;
  }
  ~Session() {
    --shared->sessions;
    if (shared->resume) shared->resume();
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    // A client that connects and says nothing gives its slot back.
    deadline.expires_after(ControlSocket::kRequestTimeout);
    deadline.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) {
        boost::system::error_code ignored;
        self->socket.close(ignored);
      }
    });
    boost::asio::async_read_until(
        socket, in, '\n',
        [self = shared_from_this()](const boost::system::error_code& ec, size_t n) { self->on_request(ec, n); });
  }

  // A request may carry a PIN (`pin`): the bytes asio read it into, our copy
  // and the parsed value are wiped once it is handled.
  static void wipe(std::string& s) {
    OPENSSL_cleanse(s.data(), s.capacity());
    s.clear();
  }

  nlohmann::json answer(nlohmann::json& req) {
    if (req.is_discarded() || !req.is_object() || !req.contains("cmd") || !req["cmd"].is_string()) {
      return control_refusal("malformed_request", "expected one JSON object with a \"cmd\" string on one line");
    }
    try {
      return shared->handler(req);
    } catch (const ControlError& e) {
      return control_refusal(e.code(), e.what());
    } catch (const nlohmann::json::exception&) {
      // The JSON library's own text names its internals, not the request.
      return control_refusal("bad_field", "a field of the request has the wrong type");
    } catch (const std::exception& e) {
      log::error("control request failed", "cmd", req["cmd"].get<std::string>(), "error", e.what());
      return control_refusal("internal_error", "kazasud could not handle the request; its log says why");
    }
  }

  void on_request(const boost::system::error_code& ec, size_t n) {
    deadline.cancel();
    nlohmann::json reply;
    if (ec) {
      if (ec != boost::asio::error::not_found) return;  // the client went away or timed out
      reply = control_refusal("request_too_large",
                              "the request is over " + std::to_string(kMaxRequestBytes) + " bytes or has no newline");
    } else {
      const boost::asio::const_buffer raw = in.data();
      char* bytes = const_cast<char*>(static_cast<const char*>(raw.data()));  // asio's own buffer, ours to wipe
      const size_t used = std::min(n, raw.size());
      std::string line(bytes, used > 0 ? used - 1 : 0);  // without the '\n'
      OPENSSL_cleanse(bytes, used);
      in.consume(used);
      auto req = nlohmann::json::parse(line, nullptr, false);
      wipe(line);
      reply = answer(req);
      if (req.is_object()) {
        if (auto pin = req.find("pin"); pin != req.end() && pin->is_string()) wipe(pin->get_ref<std::string&>());
      }
    }
    out = reply.dump() + "\n";
    boost::asio::async_write(socket, boost::asio::buffer(out),
                             [self = shared_from_this()](const boost::system::error_code&, size_t) {});
  }
};
}  // namespace

nlohmann::json control_refusal(const std::string& code, const std::string& message) {
  return {{"ok", false}, {"code", code}, {"error", message}};
}

ControlSocket::ControlSocket(boost::asio::io_context& io, std::filesystem::path path, Handler handler)
    : path_(std::move(path)),
      acceptor_(io),
      backoff_timer_(io),
      shared_(std::make_shared<Shared>(Shared{std::move(handler), 0, false, {}})) {
  const auto dir = path_.parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir)) {
    // kazasud runs with umask 077; the service group (kazasuctl's users) must still reach the socket.
    std::filesystem::create_directories(dir);
    ::chmod(dir.c_str(), 0750);
  }
  std::error_code ec;
  std::filesystem::remove(path_, ec);  // a stale socket from a previous run
  acceptor_.open();
  acceptor_.bind(boost::asio::local::stream_protocol::endpoint(path_.string()));
  ::chmod(path_.c_str(), 0660);
  acceptor_.listen();
  accept();
}

ControlSocket::~ControlSocket() {
  try {
    stop();
  } catch (...) {  // removing the socket file may fail; nothing to do about it here
  }
}

void ControlSocket::stop() {
  shared_->stopped = true;
  shared_->resume = nullptr;
  backoff_timer_.cancel();
  if (!acceptor_.is_open()) return;
  boost::system::error_code ec;
  acceptor_.close(ec);
  std::error_code fec;
  std::filesystem::remove(path_, fec);
}

void ControlSocket::accept() {
  if (shared_->stopped || !acceptor_.is_open()) return;
  if (shared_->sessions >= kMaxSessions) {
    // Further clients wait in the listen backlog until a session ends.
    shared_->resume = [this] {
      shared_->resume = nullptr;
      accept();
    };
    return;
  }
  acceptor_.async_accept([this](const boost::system::error_code& ec, boost::asio::local::stream_protocol::socket s) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      log::warning("control socket accept failed; backing off", "error", ec.message(), "descriptors_exhausted",
                   out_of_descriptors(ec) ? "true" : "false");
      back_off();
      return;
    }
    backoff_ = std::chrono::milliseconds(0);
    std::make_shared<Session>(std::move(s), shared_)->start();
    accept();
  });
}

void ControlSocket::back_off() {
  // Retrying at once on EMFILE spins: the pending connection stays pending.
  backoff_ = std::clamp(backoff_ * 2, kMinBackoff, kMaxBackoff);
  backoff_timer_.expires_after(backoff_);
  backoff_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) accept();
  });
}

}  // namespace kazasu
