// The local control socket kazasuctl talks to: a Unix stream socket, one JSON
// request line in, one JSON response line out. Only the service user and its
// group may connect (mode 0660).
//
// It is bounded like any input from outside: at most kMaxSessions connections
// at once (beyond that, new ones wait in the listen backlog), a request line
// must arrive within kRequestTimeout, and when accept() runs out of file
// descriptors (EMFILE/ENFILE) it backs off instead of retrying at once.
// Refusals answer `{"ok":false,"code":CODE,"error":SENTENCE}`.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
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

class ControlSocket {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;
  static constexpr size_t kMaxSessions = 16;
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
