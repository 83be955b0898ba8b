// The local control socket kazasuctl talks to: a Unix stream socket, one JSON
// request line in, one JSON response line out. A request with
// `"keep_open": true` keeps the connection for the next request line (each
// answered in order, the request timeout applying to each wait), so a load
// generator need not connect once per request. Only the service user and its
// group may connect (mode 0660).
//
// It is bounded like any input from outside: at most kMaxSessions connections
// at once (beyond that, new ones wait in the listen backlog), a request line
// must arrive within kRequestTimeout, and when accept() runs out of file
// descriptors (EMFILE/ENFILE) it backs off instead of retrying at once.
// Refusals answer `{"ok":false,"code":CODE,"error":SENTENCE}`.
//
// A handler may turn its session into a stream (`tail`): it calls
// control_stream() while it answers, and after the reply line the session
// writes every line the ControlStream yields until the stream ends, the
// client goes away or the socket stops. The request timeout does not apply
// to a stream; at most kMaxStreams sessions stream at once, and each stream
// bounds its own queue (a client too slow to read is dropped, told how many
// lines it lost).
//
// Every request but the read-only ones (status, readers, plugins, version,
// audit) is recorded in the audit log with the peer's uid and pid
// (SO_PEERCRED) and its result.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace kazasu {

/** Thrown by a handler to refuse a request with one of the project's error codes. */
class ControlError : public std::runtime_error {
 public:
  ControlError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  [[nodiscard]] const std::string& code() const { return code_; }

 private:
  std::string code_;
};

/** A refusal reply: `{"ok":false,"code":code,"error":message}`. */
nlohmann::json control_refusal(const std::string& code, const std::string& message);

/**
 * Lines a session writes after its reply. io thread only. At most
 * `max_lines` lines and `max_bytes` bytes wait; a push() beyond either ends
 * the stream at once: what waits is discarded and the client's last line is
 * `{"ok":false,"code":"slow_client","error":...,"dropped":N}`. A client
 * that reads nothing more gets 10 s to take what is on its way, then the
 * connection closes without that line.
 */
class ControlStream {
 public:
  ControlStream(size_t max_lines, size_t max_bytes) : max_lines_(max_lines), max_bytes_(max_bytes) {}
  /** Queues one line (without its newline); false once the stream has ended. */
  bool push(std::string line);
  /** Ends the stream after the lines waiting, with `last` (if not empty) as the final line. */
  void finish(std::string last);
  [[nodiscard]] bool ended() const { return ended_; }
  [[nodiscard]] uint64_t dropped() const { return dropped_; }

  // The session's side.
  /** The next line to write, or empty when none waits. */
  std::optional<std::string> pop();
  /** True once ended and every line, the final one included, was taken. */
  [[nodiscard]] bool drained() const { return ended_ && lines_.empty(); }
  /** Called (io thread) whenever a line is queued or the stream ends. */
  void on_ready(std::function<void()> ready) { ready_ = std::move(ready); }

 private:
  void notify() {
    if (ready_) ready_();
  }
  size_t max_lines_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  uint64_t dropped_ = 0;
  bool ended_ = false;
  std::deque<std::string> lines_;
  std::function<void()> ready_;
};

/**
 * Called by a handler while it answers a request: after the reply, the
 * session streams `stream` (see ControlStream). Throws ControlError outside a
 * handler.
 */
void control_stream(std::shared_ptr<ControlStream> stream);

class ControlSocket {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;
  static constexpr size_t kMaxSessions = 16;
  /** Sessions streaming at once at most (they count among kMaxSessions). */
  static constexpr size_t kMaxStreams = 4;
  static constexpr std::chrono::milliseconds kRequestTimeout{10000};

  ControlSocket(boost::asio::io_context& io, std::filesystem::path path, Handler handler);
  ~ControlSocket();
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;
  void stop();

  struct Shared;  // what sessions and the acceptor share; outlives this object while sessions live

 private:
  void accept();
  void back_off();

  std::filesystem::path path_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  boost::asio::steady_timer backoff_timer_;
  std::chrono::milliseconds backoff_{0};
  std::shared_ptr<Shared> shared_;
};

}  // namespace kazasu
