#include "service/control_socket.hpp"

#include <openssl/crypto.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <memory>

#include "audit/audit_log.hpp"
#include "core/log.hpp"

namespace kazasu {
namespace {
struct Session;
}

struct ControlSocket::Shared {
  ControlSocket::Handler handler;
  size_t sessions = 0;
  bool stopped = false;
  std::function<void()> resume;  // restarts accepting when a session ends at the cap
  size_t streams = 0;            // sessions streaming now
  std::vector<std::weak_ptr<Session>> streaming;
};

namespace {
constexpr size_t kMaxRequestBytes = size_t{64} * 1024;
constexpr std::chrono::seconds kSlowClientGrace{10};

// The stream slot of the request being answered now (io thread): control_stream() fills it.
thread_local std::shared_ptr<ControlStream>* t_stream_slot = nullptr;

// Requests that change nothing are not audited.
bool audited(const std::string& cmd) {
  return cmd != "status" && cmd != "readers" && cmd != "plugins" && cmd != "version" && cmd != "audit";
}

struct Peer {
  int64_t uid = -1;
  int64_t gid = -1;
  int64_t pid = -1;
};

Peer peer_of(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return {};
  return Peer{cred.uid, cred.gid, cred.pid};
}
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
  Peer peer;
  std::shared_ptr<ControlStream> stream;  // set when the answer goes on
  bool streaming = false;
  bool keep_open = false;  // the last request asked for the next one on this connection
  bool writing = false;
  bool grace_armed = false;
  std::array<char, 256> discard{};  // what a streaming client sends is read and ignored

  Session(boost::asio::local::stream_protocol::socket s, std::shared_ptr<ControlSocket::Shared> sh)
      : socket(std::move(s)), deadline(socket.get_executor()), shared(std::move(sh)) {
    ++shared->sessions;
    peer = peer_of(socket.native_handle());
  }
  ~Session() {
    if (streaming) --shared->streams;
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
    // control_stream() called by the handler fills `stream`.
    struct Slot {
      explicit Slot(std::shared_ptr<ControlStream>* s) { t_stream_slot = s; }
      ~Slot() { t_stream_slot = nullptr; }
      Slot(const Slot&) = delete;
      Slot& operator=(const Slot&) = delete;
    } slot(&stream);
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
    keep_open = false;
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
      audit(req, reply);
      keep_open = wants_more(req);
      if (req.is_object()) {
        if (auto pin = req.find("pin"); pin != req.end() && pin->is_string()) wipe(pin->get_ref<std::string&>());
      }
    }
    if (stream && reply.value("ok", false)) {
      if (shared->streams >= ControlSocket::kMaxStreams || shared->stopped) {
        reply = control_refusal("busy", std::to_string(ControlSocket::kMaxStreams) +
                                            " clients are streaming already; try again when one has stopped");
        stream->finish({});
        stream.reset();
      } else {
        streaming = true;
        ++shared->streams;
        std::erase_if(shared->streaming, [](const std::weak_ptr<Session>& w) { return w.expired(); });
        shared->streaming.push_back(weak_from_this());
      }
    } else {
      stream.reset();
    }
    // A reply may quote bytes from the request (an unknown command's name, cut
    // at 64 bytes, maybe inside a UTF-8 character): never let them throw here.
    out = reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    writing = true;
    boost::asio::async_write(socket, boost::asio::buffer(out),
                             [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                               self->writing = false;
                               if (ec) return;
                               if (self->streaming) {
                                 self->start_stream();
                               } else if (self->keep_open) {
                                 self->start();  // the next request, maybe already in `in`
                               }
                             });
  }

  // `"keep_open": true` lets a client (a load generator, a script) send many
  // requests on one connection, each line answered in order; without it the
  // connection ends after its one answer, as kazasuctl expects.
  static bool wants_more(const nlohmann::json& req) {
    if (!req.is_object()) return false;
    const auto it = req.find("keep_open");
    return it != req.end() && it->is_boolean() && it->get<bool>();
  }

  // Who asked what, and the answer's code; never the request's values (a PIN).
  void audit(const nlohmann::json& req, const nlohmann::json& reply) const {
    if (!req.is_object() || !req.contains("cmd") || !req["cmd"].is_string()) return;
    const std::string& cmd = req["cmd"].get_ref<const std::string&>();
    if (!audited(cmd)) return;
    nlohmann::json fields{
        {"cmd", cmd.substr(0, 64)}, {"uid", peer.uid}, {"pid", peer.pid}, {"ok", reply.value("ok", false)}};
    if (auto code = reply.find("code"); code != reply.end() && code->is_string()) fields["code"] = *code;
    for (const char* key : {"reader", "for"}) {
      if (auto it = req.find(key); it != req.end() && it->is_string()) {
        fields[key] = it->get_ref<const std::string&>().substr(0, 64);
      }
    }
    AuditLog::record("control", fields);
  }

  void start_stream() {
    std::weak_ptr<Session> weak = weak_from_this();
    stream->on_ready([weak] {
      if (auto self = weak.lock()) self->pump();
    });
    read_discard();
    pump();
  }

  // Notices a client that went away while nothing is being written.
  void read_discard() {
    socket.async_read_some(boost::asio::buffer(discard),
                           [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                             if (ec) {
                               self->close();
                               return;
                             }
                             self->read_discard();
                           });
  }

  void pump() {
    if (!socket.is_open()) return;
    if (writing) {
      // Dropped while a write waits on a client that does not read: it gets
      // kSlowClientGrace to take it and the final line, then the connection closes.
      if (stream->ended() && !grace_armed) {
        grace_armed = true;
        deadline.expires_after(kSlowClientGrace);
        deadline.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
          if (ec) return;
          if (auto self = weak.lock()) self->close();
        });
      }
      return;
    }
    if (auto line = stream->pop()) {
      out = std::move(*line);
      out += '\n';
      writing = true;
      boost::asio::async_write(socket, boost::asio::buffer(out),
                               [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                                 self->writing = false;
                                 if (ec) {
                                   self->close();
                                   return;
                                 }
                                 self->pump();
                               });
      return;
    }
    if (stream->drained()) close();
  }

  // At stop: the final line goes out now if the socket takes it (the io loop is about to end), then the close.
  void end_now(const std::string& last) {
    if (!writing && socket.is_open()) {
      while (auto line = stream->pop()) {
        *line += '\n';
        if (::send(socket.native_handle(), line->data(), line->size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) break;
      }
      const std::string final_line = last + "\n";
      (void)::send(socket.native_handle(), final_line.data(), final_line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    close();
  }

  void close() {
    deadline.cancel();
    boost::system::error_code ignored;
    socket.shutdown(boost::asio::socket_base::shutdown_both, ignored);
    socket.close(ignored);
    if (stream) stream->finish({});
  }
};
}  // namespace

bool ControlStream::push(std::string line) {
  if (ended_) return false;
  if (lines_.size() >= max_lines_ || bytes_ + line.size() > max_bytes_) {
    dropped_ = lines_.size() + 1;
    lines_.clear();
    bytes_ = 0;
    ended_ = true;
    lines_.push_back(nlohmann::json{
        {"ok", false},
        {"code", "slow_client"},
        {"error",
         "the client did not keep up; " + std::to_string(dropped_) + " outcomes were dropped and the stream ended"},
        {"dropped",
         dropped_}}.dump());
    notify();
    return false;
  }
  bytes_ += line.size();
  lines_.push_back(std::move(line));
  notify();
  return true;
}

void ControlStream::finish(std::string last) {
  if (ended_) return;
  ended_ = true;
  if (!last.empty()) lines_.push_back(std::move(last));
  notify();
}

std::optional<std::string> ControlStream::pop() {
  if (lines_.empty()) return std::nullopt;
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  bytes_ -= std::min(bytes_, line.size());
  return line;
}

void control_stream(std::shared_ptr<ControlStream> stream) {
  if (t_stream_slot == nullptr) throw ControlError("internal_error", "a stream outside a control request");
  *t_stream_slot = std::move(stream);
}

nlohmann::json control_refusal(const std::string& code, const std::string& message) {
  return {{"ok", false}, {"code", code}, {"error", message}};
}

ControlSocket::ControlSocket(boost::asio::io_context& io, std::filesystem::path path, Handler handler)
    : path_(std::move(path)),
      acceptor_(io),
      backoff_timer_(io),
      shared_(std::make_shared<Shared>(Shared{std::move(handler), 0, false, {}, 0, {}})) {
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
  const std::string last =
      nlohmann::json{
          {"ok", true}, {"end", "stopping"}, {"message", "kazasud is stopping or reloading its configuration"}}
          .dump();
  for (const auto& w : std::exchange(shared_->streaming, {})) {
    if (auto session = w.lock()) session->end_now(last);
  }
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
