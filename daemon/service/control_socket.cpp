#include "service/control_socket.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include <sys/stat.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <istream>
#include <memory>

#include "core/log.hpp"

namespace kazasu {
namespace {
constexpr size_t kMaxRequestBytes = size_t{64} * 1024;

struct Session : std::enable_shared_from_this<Session> {
  boost::asio::local::stream_protocol::socket socket;
  boost::asio::streambuf in{kMaxRequestBytes};
  std::string out;
  ControlSocket::Handler& handler;

  Session(boost::asio::local::stream_protocol::socket s, ControlSocket::Handler& h)
      : socket(std::move(s)), handler(h) {}

  void start() {
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

  void on_request(const boost::system::error_code& ec, size_t n) {
    nlohmann::json reply;
    if (ec) {
      if (ec == boost::asio::error::not_found) {
        reply = {{"ok", false}, {"error", "request too large"}};
      } else {
        return;  // the client went away
      }
    } else {
      const boost::asio::const_buffer raw = in.data();
      char* bytes = const_cast<char*>(static_cast<const char*>(raw.data()));  // asio's own buffer, ours to wipe
      const size_t used = std::min(n, raw.size());
      std::string line(bytes, used > 0 ? used - 1 : 0);  // without the '\n'
      OPENSSL_cleanse(bytes, used);
      in.consume(used);
      auto req = nlohmann::json::parse(line, nullptr, false);
      wipe(line);
      if (req.is_discarded() || !req.is_object() || !req.contains("cmd") || !req["cmd"].is_string()) {
        reply = {{"ok", false}, {"error", "malformed request: expected a JSON object with a \"cmd\" string"}};
      } else {
        try {
          reply = handler(req);
        } catch (const std::exception& e) {
          reply = {{"ok", false}, {"error", e.what()}};
        }
        if (auto pin = req.find("pin"); pin != req.end() && pin->is_string()) wipe(pin->get_ref<std::string&>());
      }
    }
    out = reply.dump() + "\n";
    boost::asio::async_write(socket, boost::asio::buffer(out),
                             [self = shared_from_this()](const boost::system::error_code&, size_t) {});
  }
};
}  // namespace

ControlSocket::ControlSocket(boost::asio::io_context& io, std::filesystem::path path, Handler handler)
    : path_(std::move(path)), handler_(std::move(handler)), acceptor_(io) {
  std::filesystem::create_directories(path_.parent_path());
  std::error_code ec;
  std::filesystem::remove(path_, ec);  // a stale socket from a previous run
  acceptor_.open();
  acceptor_.bind(boost::asio::local::stream_protocol::endpoint(path_.string()));
  ::chmod(path_.c_str(), 0660);
  acceptor_.listen();
  accept();
}

ControlSocket::~ControlSocket() {
  stop();
}

void ControlSocket::stop() {
  if (!acceptor_.is_open()) return;
  boost::system::error_code ec;
  acceptor_.close(ec);
  std::error_code fec;
  std::filesystem::remove(path_, fec);
}

void ControlSocket::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, boost::asio::local::stream_protocol::socket s) {
    if (ec) {
      if (ec != boost::asio::error::operation_aborted)
        log::warning("control socket accept failed", "error", ec.message());
      if (!acceptor_.is_open()) return;
    } else {
      std::make_shared<Session>(std::move(s), handler_)->start();
    }
    accept();
  });
}

}  // namespace kazasu
