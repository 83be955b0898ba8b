// kazasuctl: talks to a running kazasud over its control socket, and prepares
// files kazasud needs. Exit codes: 0 ok, 1 the daemon refused or is not
// reachable, 2 usage.
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcntl.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "config/config.hpp"

namespace {

void usage(std::ostream& out) {
  out << "usage: kazasuctl [--socket PATH | --config FILE] status\n"
         "       kazasuctl [--socket PATH | --config FILE] tap --reader READER --card CARD\n"
         "       kazasuctl [--socket PATH | --config FILE] pin --reader READER --pin PIN|- [--for auth|basic_info]\n"
         "       kazasuctl [--socket PATH | --config FILE] clock set TIME\n"
         "       kazasuctl secret init FILE\n"
         "\n"
         "  status         the daemon's readers, plugins, broker link and queue\n"
         "  tap            tap simulated card CARD (from [sim.cards]) on sim reader READER\n"
         "  pin            arm the holder's 4-digit PIN for the next read on READER that needs\n"
         "                 it: the JPKI auth PIN for a possession read (--for auth, the default)\n"
         "                 or the card-face PIN for the basic four (--for basic_info);\n"
         "                 --pin - reads it from stdin\n"
         "  clock set      shift kazasud's wall clock to TIME (RFC 3339); tests only, needs\n"
         "                 [diagnostics] settable_clock = true\n"
         "  secret init    write a new 32-byte site secret to FILE, readable by its owner only\n"
         "\n"
         "The socket is --socket, else the control_socket of --config, else $KAZASU_SOCKET,\n"
         "else /run/kazasu/control.sock.\n";
}

// A file descriptor that closes itself.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

int request(const std::string& socket_path, const nlohmann::json& req, nlohmann::json& reply) {
  Fd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    std::cerr << "kazasuctl: socket path too long: " << socket_path << "\n";
    return 2;
  }
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::cerr << "kazasuctl: cannot reach kazasud at " << socket_path << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  const std::string line = req.dump() + "\n";
  if (::write(s.fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    std::cerr << "kazasuctl: write failed: " << std::strerror(errno) << "\n";
    return 1;
  }
  std::string in;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(s.fd, buf, sizeof buf)) > 0) {
    in.append(buf, static_cast<size_t>(n));
    if (in.find('\n') != std::string::npos) break;
  }
  reply = nlohmann::json::parse(in, nullptr, false);
  if (reply.is_discarded()) {
    std::cerr << "kazasuctl: kazasud sent a reply that is not JSON\n";
    return 1;
  }
  return 0;
}

int secret_init(const std::string& file) {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof key) != 1) {
    std::cerr << "kazasuctl: no randomness available\n";
    return 1;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : key) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0xF]);
  }
  hex.push_back('\n');
  // O_EXCL: never overwrite a secret, which would change every token.
  Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.fd < 0) {
    std::cerr << "kazasuctl: cannot create " << file << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  if (::write(fd.fd, hex.data(), hex.size()) != static_cast<ssize_t>(hex.size())) {
    std::cerr << "kazasuctl: write failed: " << std::strerror(errno) << "\n";
    return 1;
  }
  std::cout << "wrote a new site secret to " << file << " (mode 0600)\n";
  return 0;
}

// `pin --reader R --pin 1234|- [--for auth|basic_info]`; the PIN only travels in the request, never in output.
int pin_request(int argc, char** argv, int i, nlohmann::json& req) {
  std::string pin;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--reader" && i + 1 < argc) {
      req["reader"] = argv[++i];
    } else if (arg == "--for" && i + 1 < argc) {
      req["for"] = argv[++i];
    } else if (arg == "--pin" && i + 1 < argc) {
      pin = argv[++i];
      if (pin == "-" && !std::getline(std::cin, pin)) pin.clear();
      while (!pin.empty() && (pin.back() == '\r' || pin.back() == ' ')) pin.pop_back();
    } else {
      std::cerr << "kazasuctl: unknown argument " << arg << "\n";
      return 2;
    }
  }
  if (!req.contains("reader") || pin.empty()) {
    std::cerr << "kazasuctl: pin needs --reader and --pin\n";
    return 2;
  }
  req["pin"] = pin;
  OPENSSL_cleanse(pin.data(), pin.size());
  return 0;
}

int run(int argc, char** argv) {
  std::string socket_path;
  if (const char* env = std::getenv("KAZASU_SOCKET")) socket_path = env;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--socket" || arg == "--config") && i + 1 < argc) {
      if (arg == "--socket") {
        socket_path = argv[++i];
      } else {
        try {
          socket_path = kazasu::load_config(argv[++i]).station.control_socket.string();
        } catch (const kazasu::ConfigException& e) {
          std::cerr << e.what() << "\n";
          return 2;
        }
      }
    } else if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      return 0;
    } else {
      break;
    }
  }
  if (socket_path.empty()) socket_path = "/run/kazasu/control.sock";
  if (i >= argc) {
    usage(std::cerr);
    return 2;
  }
  const std::string cmd = argv[i++];

  if (cmd == "secret") {
    if (i + 2 == argc && std::string(argv[i]) == "init") return secret_init(argv[i + 1]);
    usage(std::cerr);
    return 2;
  }

  nlohmann::json req{{"cmd", cmd}};
  if (cmd == "tap") {
    for (; i < argc; ++i) {
      const std::string arg = argv[i];
      if ((arg == "--reader" || arg == "--card") && i + 1 < argc) {
        req[arg.substr(2)] = argv[++i];
      } else {
        std::cerr << "kazasuctl: unknown argument " << arg << "\n";
        return 2;
      }
    }
    if (!req.contains("reader") || !req.contains("card")) {
      std::cerr << "kazasuctl: tap needs --reader and --card\n";
      return 2;
    }
  } else if (cmd == "pin") {
    if (int rc = pin_request(argc, argv, i, req); rc != 0) return rc;
  } else if (cmd == "clock") {
    if (i + 2 != argc || std::string(argv[i]) != "set") {
      usage(std::cerr);
      return 2;
    }
    req["set"] = argv[i + 1];
  } else if (cmd != "status" || i != argc) {
    usage(std::cerr);
    return 2;
  }

  nlohmann::json reply;
  if (int rc = request(socket_path, req, reply); rc != 0) return rc;
  if (!reply.value("ok", false)) {
    std::cerr << "kazasuctl: " << reply.value("error", std::string("request refused")) << "\n";
    return 1;
  }
  if (cmd == "pin") {
    const bool basic = reply.value("for", std::string("auth")) == "basic_info";
    std::cout << (basic ? "card-face PIN armed for the next basic-four read on "
                        : "PIN armed for the next possession read on ")
              << req["reader"].get<std::string>() << "\n";
  } else if (cmd == "tap") {
    std::cout << reply["id"].get<std::string>() << "\n";
  } else if (cmd == "clock") {
    std::cout << reply["now"].get<std::string>() << "\n";
  } else {
    reply.erase("ok");
    std::cout << reply.dump(2) << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A failure to allocate or to print is a message and exit 1, never std::terminate.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "kazasuctl: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "kazasuctl: unexpected error\n";
  }
  return 1;
}
