// kazasu-desk: the staff's desk page for one station (tools/desk/README.md).
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "options.hpp"
#include "server.hpp"

#ifndef KAZASU_DESK_WEB_DIR
#define KAZASU_DESK_WEB_DIR "/usr/share/kazasu/desk"
#endif
#ifndef KAZASU_VERSION
#define KAZASU_VERSION "0"
#endif

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = kazasu::desk::parse_options(args, KAZASU_DESK_WEB_DIR);
  if (const auto* error = std::get_if<std::string>(&parsed)) {
    std::cerr << "kazasu-desk: " << *error << "\n";
    return 2;
  }
  const auto& options = std::get<kazasu::desk::Options>(parsed);
  if (options.help) {
    std::cout << kazasu::desk::usage();
    return 0;
  }
  if (options.version) {
    std::cout << "kazasu-desk " << KAZASU_VERSION << "\n";
    return 0;
  }
  try {
    boost::asio::io_context io(1);
    kazasu::desk::Server server(io, options);
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
      server.stop();
      io.stop();
    });
    server.start();
    std::cout << "kazasu-desk: serving " << server.url() << " for " << options.site << "/" << options.station
              << std::endl;
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "kazasu-desk: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
