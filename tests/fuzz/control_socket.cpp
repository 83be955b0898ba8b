// Fuzz target: the control socket's request line, through the real
// ControlSocket on a Unix socket in a scratch directory: the bounded read up
// to '\n', the JSON parse, the "cmd" check, the handler's refusals and the
// reply line (and a short stream, as `tail` sends). The request parsing is
// not separable from the session (daemon/service/control_socket.cpp keeps it
// in an unnamed namespace), so the bytes go in over a real connection.
//
// The handler stands in for Station::control (control_commands.cpp), whose
// answers need a whole station: it answers in the same shapes, the
// unknown-command refusal built the same way, so what the socket does with
// a handler's answer is what kazasud does.
//
// Input: the bytes one client sends before it shuts down its side.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "core/log.hpp"
#include "fuzz_support.hpp"
#include "service/control_socket.hpp"

namespace {

using namespace kazasu;
using nlohmann::json;

json handle(const json& req) {
  const std::string cmd = req["cmd"].get<std::string>();
  if (cmd == "status") return {{"ok", true}, {"fields", req.size()}};
  if (cmd == "pin") {
    // A wrong type is a refusal: string_field() throws ControlError.
    const auto it = req.find("pin");
    if (it != req.end() && !it->is_string()) throw ControlError("bad_field", "\"pin\" must be a string");
    return {{"ok", true}};
  }
  if (cmd == "audit") return {{"ok", true}, {"after", req.at("after").get<std::int64_t>()}};  // json errors: bad_field
  if (cmd == "tail") {
    auto stream = std::make_shared<ControlStream>(4, 1024);
    control_stream(stream);
    stream->push(R"({"topic":"t"})");
    stream->finish(R"({"ok":true,"end":"done"})");
    return {{"ok", true}};
  }
  if (cmd == "fail") throw std::runtime_error("handler failed");
  return control_refusal("unknown_command", "unknown command \"" + cmd.substr(0, 64) + "\"");
}

struct World {
  boost::asio::io_context io;
  std::filesystem::path path;
  std::unique_ptr<ControlSocket> socket;
  World() {
    log::set_level(log::Level::error);
    path = fuzz::scratch_dir("ctl") / "control.sock";
    socket = std::make_unique<ControlSocket>(io, path, handle);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World* w = new World();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) std::abort();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, w->path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) std::abort();

  std::size_t sent = 0;
  bool shut = false;
  char buf[4096];
  // Bounded: a session either answers or closes within a few polls of its input.
  for (int round = 0; round < 100000; ++round) {
    if (sent < size) {
      const ssize_t n = ::send(fd, data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<std::size_t>(n);
    } else if (!shut) {
      ::shutdown(fd, SHUT_WR);
      shut = true;
    }
    w->io.poll();
    const ssize_t r = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r == 0) break;  // the session closed: the reply (if any) has been read
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;
  }
  ::close(fd);
  w->io.poll();  // lets the session see the close and end
  return 0;
}
