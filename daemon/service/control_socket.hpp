// The local control socket kazasuctl talks to: a Unix stream socket, one JSON
// request line in, one JSON response line out. Only the service user and its
// group may connect (mode 0660).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

namespace kazasu {

class ControlSocket {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  ControlSocket(boost::asio::io_context& io, std::filesystem::path path, Handler handler);
  ~ControlSocket();
  void stop();

 private:
  void accept();

  std::filesystem::path path_;
  Handler handler_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
};

}  // namespace kazasu
