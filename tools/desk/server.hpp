// The desk's browser side: HTTP(S) for the page's files and one WebSocket endpoint (/ws)
// bridging browsers to the station's topics. Runs on one io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "bridge.hpp"
#include "options.hpp"
#include "static_files.hpp"

namespace kazasu::desk {

class Hub;

class Server {
 public:
  /** Binds the listener (throws if it cannot) and connects the bridge to the broker. */
  Server(boost::asio::io_context& io, const Options& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();
  void stop();
  /** The port actually bound (useful with --listen HOST:0). */
  [[nodiscard]] std::uint16_t port() const;
  /** The page's address, e.g. http://127.0.0.1:8080/ */
  [[nodiscard]] std::string url() const;

 private:
  boost::asio::io_context& io_;
  Options options_;
  StaticFiles files_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Hub> hub_;
  std::unique_ptr<Bridge> bridge_;
};

}  // namespace kazasu::desk
