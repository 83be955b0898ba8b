#include "server.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <deque>
#include <iostream>
#include <map>
#include <set>

namespace kazasu::desk {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMaxConnections = 64;     // HTTP connections at once
constexpr std::size_t kMaxBrowsers = 16;        // WebSocket clients at once
constexpr std::size_t kMaxQueuedFrames = 2000;  // per browser, before it is dropped as too slow
constexpr std::size_t kMaxQueuedBytes = std::size_t{16} << 20;
constexpr std::size_t kMaxRetained = 512;  // retained topics kept for browsers that connect later
constexpr std::size_t kMaxPendingPerBrowser = 16;
constexpr std::size_t kMaxPending = 256;
constexpr double kCommandBurst = 10;      // commands a browser may send at once ...
constexpr double kCommandsPerSecond = 5;  // ... and on average
constexpr auto kPendingLifetime = 60s;
constexpr std::size_t kMaxSessions = 64;  // login cookies kept
constexpr auto kSessionLifetime = 12h;

void log_line(const std::string& text) {
  std::cerr << "kazasu-desk: " << text << std::endl;
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool equal_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

// One browser: its outgoing frames, its command budget, and a way to close it.
struct Browser {
  explicit Browser(asio::any_io_executor ex) : wake(ex) { wake.expires_at(Clock::time_point::max()); }
  std::deque<std::shared_ptr<const std::string>> queue;
  std::size_t queued_bytes = 0;
  asio::steady_timer wake;
  bool closed = false;
  double tokens = kCommandBurst;
  Clock::time_point refilled = Clock::now();
  std::size_t pending = 0;
  std::function<void()> kill;
};

// Everything the browsers share: the list of them, the retained messages, the pending
// commands and the login sessions. Lives on the io_context's thread only.
class Hub {
 public:
  Hub(const Options& options) : options_(options) {}

  void set_bridge(Bridge* bridge) { bridge_ = bridge; }

  std::shared_ptr<Browser> add(asio::any_io_executor ex) {
    if (browsers_.size() >= kMaxBrowsers) return nullptr;
    auto b = std::make_shared<Browser>(ex);
    browsers_.insert(b);
    send(*b, std::make_shared<const std::string>(
                 bridge_frame(bridge_ != nullptr && bridge_->up(), options_.site, options_.station)));
    for (const auto& [topic, frame] : retained_) send(*b, frame);
    return b;
  }

  void remove(const std::shared_ptr<Browser>& b) {
    b->closed = true;
    b->wake.cancel();
    browsers_.erase(b);
  }

  void broadcast(const std::string& frame) {
    auto shared = std::make_shared<const std::string>(frame);
    for (const auto& b : std::vector<std::shared_ptr<Browser>>(browsers_.begin(), browsers_.end())) send(*b, shared);
  }

  void on_link(bool up) {
    broadcast(bridge_frame(up, options_.site, options_.station));
    if (!up) {
      // Retained messages are sent again on the next subscription.
      retained_.clear();
    }
  }

  void on_message(const std::string& topic, const std::string& payload, bool retained) {
    const std::string frame = message_frame(topic, payload, retained);
    if (retained) {
      if (payload.empty()) {
        retained_.erase(topic);
      } else if (retained_.size() < kMaxRetained || retained_.count(topic) != 0) {
        retained_[topic] = std::make_shared<const std::string>(frame);
      }
    }
    if (!payload.empty()) broadcast(frame);
  }

  void on_reply(const std::string& correlation, const std::string& topic, const std::string& payload) {
    const auto it = pending_.find(correlation);
    if (it == pending_.end()) return;
    auto browser = it->second.browser.lock();
    const std::string id = it->second.id;
    pending_.erase(it);
    if (!browser) return;
    if (browser->pending > 0) --browser->pending;
    send(*browser, std::make_shared<const std::string>(reply_frame(id, topic, payload)));
  }

  // A text frame from a browser.
  void on_frame(const std::shared_ptr<Browser>& b, std::string_view text) {
    auto parsed = parse_browser_frame(text);
    if (const auto* err = std::get_if<FrameError>(&parsed)) {
      send(*b, std::make_shared<const std::string>(error_frame(err->id, err->code)));
      return;
    }
    const auto& request = std::get<CommandRequest>(parsed);
    const auto now = Clock::now();
    b->tokens = std::min(kCommandBurst,
                         b->tokens + std::chrono::duration<double>(now - b->refilled).count() * kCommandsPerSecond);
    b->refilled = now;
    expire_pending(now);
    std::string code;
    if (b->tokens < 1) {
      code = "rate_limited";
    } else if (b->pending >= kMaxPendingPerBrowser || pending_.size() >= kMaxPending) {
      code = "too_many_pending";
    } else if (bridge_ == nullptr) {
      code = "broker_down";
    } else {
      b->tokens -= 1;
      const std::string correlation = "desk-" + std::to_string(++sequence_);
      code = bridge_->send_command(request, correlation);
      if (code.empty()) {
        pending_[correlation] = Pending{b, request.id, now};
        ++b->pending;
        return;
      }
    }
    send(*b, std::make_shared<const std::string>(error_frame(request.id, code)));
  }

  // Login sessions (LAN mode): a cookie handed out after the password was given.
  std::string new_session() {
    const auto now = Clock::now();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it = (now - it->second > kSessionLifetime) ? sessions_.erase(it) : std::next(it);
    }
    while (sessions_.size() >= kMaxSessions) sessions_.erase(sessions_.begin());
    std::string token = random_hex(32);
    sessions_[token] = now;
    return token;
  }
  bool valid_session(std::string_view token) const {
    for (const auto& [t, made] : sessions_) {
      if (equal_secret(t, token) && Clock::now() - made <= kSessionLifetime) return true;
    }
    return false;
  }
  // Failed logins: after 10 in a minute, every login is refused for the rest of it.
  bool login_allowed() {
    const auto now = Clock::now();
    if (now - failures_since_ > 60s) {
      failures_since_ = now;
      failures_ = 0;
    }
    return failures_ < 10;
  }
  void login_failed() { ++failures_; }

  std::size_t connections = 0;

 private:
  struct Pending {
    std::weak_ptr<Browser> browser;
    std::string id;
    Clock::time_point sent;
  };

  void expire_pending(Clock::time_point now) {
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (now - it->second.sent > kPendingLifetime) {
        if (auto b = it->second.browser.lock(); b && b->pending > 0) --b->pending;
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void send(Browser& b, const std::shared_ptr<const std::string>& frame) {
    if (b.closed) return;
    if (b.queue.size() >= kMaxQueuedFrames || b.queued_bytes + frame->size() > kMaxQueuedBytes) {
      log_line("a browser reads too slowly; closing its connection");
      b.closed = true;
      if (b.kill) b.kill();
      return;
    }
    b.queue.push_back(frame);
    b.queued_bytes += frame->size();
    b.wake.cancel_one();
  }

  const Options& options_;
  Bridge* bridge_ = nullptr;
  std::set<std::shared_ptr<Browser>> browsers_;
  std::map<std::string, std::shared_ptr<const std::string>> retained_;
  std::map<std::string, Pending> pending_;
  std::uint64_t sequence_ = 0;
  std::map<std::string, Clock::time_point> sessions_;
  Clock::time_point failures_since_ = Clock::now();
  int failures_ = 0;
};

namespace {

using Request = http::request<http::empty_body>;
using Response = http::response<http::string_body>;

struct Context {
  const Options& options;
  const StaticFiles& files;
  std::shared_ptr<Hub> hub;
  std::uint16_t port;
  bool tls;
};

std::string header(const Request& req, http::field f) {
  const auto it = req.find(f);
  return it == req.end() ? std::string() : std::string(it->value());
}

// On loopback the Host must name loopback (a DNS-rebinding page cannot reach us); an
// Origin, when the browser sends one, must be this very address.
bool host_allowed(const Context& c, const std::string& host) {
  if (!c.options.loopback) return !host.empty() && host.size() <= 255;
  const std::string port = ":" + std::to_string(c.port);
  return host == "127.0.0.1" + port || host == "localhost" + port || host == "[::1]" + port ||
         host == c.options.listen_host + port;
}

bool origin_allowed(const Context& c, const std::string& origin, const std::string& host) {
  if (origin.empty()) return true;
  return origin == std::string(c.tls ? "https://" : "http://") + host;
}

std::string cookie_value(const Request& req, std::string_view name) {
  const std::string cookies = header(req, http::field::cookie);
  std::string_view rest = cookies;
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
  }
  return {};
}

// Basic authentication's password (any user name), if one was sent.
std::string basic_password(const Request& req) {
  const std::string auth = header(req, http::field::authorization);
  if (auth.size() < 7 || auth.size() > 1024 || auth.compare(0, 6, "Basic ") != 0) return {};
  const std::string encoded = auth.substr(6);
  std::string decoded(beast::detail::base64::decoded_size(encoded.size()), '\0');
  const auto [written, read] = beast::detail::base64::decode(decoded.data(), encoded.data(), encoded.size());
  (void)read;
  decoded.resize(written);
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return {};
  return decoded.substr(colon + 1);
}

Response make_response(const Request& req, http::status status, std::string content_type, std::string body) {
  Response res{status, req.version()};
  res.set(http::field::server, "kazasu-desk");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

template <class Stream>
awaitable<void> run_websocket(Stream stream, Request req, Context c) {
  auto ws = std::make_shared<websocket::stream<Stream>>(std::move(stream));
  beast::get_lowest_layer(*ws).expires_never();
  ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws->read_message_max(kMaxFrameBytes);
  ws->set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "kazasu-desk"); }));
  co_await ws->async_accept(req, use_awaitable);
  auto browser = c.hub->add(ws->get_executor());
  if (!browser) {
    co_await ws->async_close(websocket::close_reason(websocket::close_code::try_again_later), use_awaitable);
    co_return;
  }
  browser->kill = [ws] {
    boost::system::error_code ignored;
    beast::get_lowest_layer(*ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
  };
  // The writer: sends queued frames one at a time.
  asio::co_spawn(
      ws->get_executor(),
      [ws, browser]() -> awaitable<void> {
        while (!browser->closed) {
          if (browser->queue.empty()) {
            boost::system::error_code ec;
            co_await browser->wake.async_wait(asio::redirect_error(use_awaitable, ec));
            continue;
          }
          const auto frame = browser->queue.front();
          ws->text(true);
          boost::system::error_code ec;
          co_await ws->async_write(asio::buffer(*frame), asio::redirect_error(use_awaitable, ec));
          if (ec) {
            browser->closed = true;
            break;
          }
          browser->queue.pop_front();
          browser->queued_bytes -= frame->size();
        }
      },
      asio::detached);
  beast::flat_buffer buffer;
  try {
    while (!browser->closed) {
      buffer.clear();
      co_await ws->async_read(buffer, use_awaitable);
      if (!ws->got_text()) continue;
      const auto data = buffer.data();
      c.hub->on_frame(browser, std::string_view(static_cast<const char*>(data.data()), data.size()));
    }
  } catch (const std::exception&) {
  }
  c.hub->remove(browser);
}

// Serves requests until the connection ends; true when it became a WebSocket (the
// stream was moved into it and must not be touched again).
template <class Stream>
awaitable<bool> serve_http(Stream& stream, Context c) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(0);
    beast::get_lowest_layer(stream).expires_after(30s);
    co_await http::async_read(stream, buffer, parser, use_awaitable);
    Request req = parser.release();
    const std::string host = header(req, http::field::host);
    const std::string target(req.target());
    Response res;
    std::string set_cookie;
    bool authorised = c.options.desk_password.empty();
    if (!authorised) {
      const std::string cookie = cookie_value(req, "kazasu_desk");
      if (!cookie.empty() && c.hub->valid_session(cookie)) {
        authorised = true;
      } else if (const std::string given = basic_password(req); !given.empty()) {
        if (!c.hub->login_allowed()) {
          res = make_response(req, http::status::too_many_requests, "text/plain; charset=utf-8",
                              "Too many wrong passwords: wait a minute.\n");
        } else if (equal_secret(given, c.options.desk_password)) {
          authorised = true;
          set_cookie = c.hub->new_session();
        } else {
          c.hub->login_failed();
        }
      }
    }
    if (res.result() == http::status::too_many_requests) {
      // answered above
    } else if (!host_allowed(c, host)) {
      res = make_response(req, http::status::misdirected_request, "text/plain; charset=utf-8", "Unknown host.\n");
    } else if (!authorised) {
      res = make_response(req, http::status::unauthorized, "text/plain; charset=utf-8", "Password required.\n");
      res.set(http::field::www_authenticate, "Basic realm=\"kazasu desk\", charset=\"UTF-8\"");
    } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res = make_response(req, http::status::method_not_allowed, "text/plain; charset=utf-8", "GET only.\n");
      res.set(http::field::allow, "GET, HEAD");
    } else if (target == "/ws" && websocket::is_upgrade(req)) {
      if (!origin_allowed(c, header(req, http::field::origin), host)) {
        res = make_response(req, http::status::forbidden, "text/plain; charset=utf-8", "Wrong origin.\n");
      } else {
        beast::get_lowest_layer(stream).expires_never();
        try {
          co_await run_websocket(std::move(stream), std::move(req), c);
        } catch (const std::exception&) {
          // the WebSocket ended badly; the stream is gone either way
        }
        co_return true;
      }
    } else if (const StaticFile* file = c.files.find(target)) {
      res =
          make_response(req, http::status::ok, file->content_type, req.method() == http::verb::head ? "" : file->body);
      const std::string ws_origin = std::string(c.tls ? "wss://" : "ws://") + host;
      res.set("Content-Security-Policy",
              "default-src 'self'; connect-src 'self' " + ws_origin +
                  "; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                  "form-action 'none'");
    } else {
      res = make_response(req, http::status::not_found, "text/plain; charset=utf-8", "Not found.\n");
    }
    if (!set_cookie.empty()) {
      res.set(http::field::set_cookie, "kazasu_desk=" + set_cookie + "; Path=/; HttpOnly; Secure; SameSite=Strict");
    }
    const bool keep = res.keep_alive();
    co_await http::async_write(stream, res, use_awaitable);
    if (!keep) break;
  }
  co_return false;
}

template <class Stream>
void shutdown_quietly(Stream& stream) {
  boost::system::error_code ec;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
}

awaitable<void> serve_plain(tcp::socket socket, Context c) {
  beast::tcp_stream stream(std::move(socket));
  bool upgraded = false;
  try {
    upgraded = co_await serve_http(stream, c);
  } catch (const std::exception&) {
  }
  if (!upgraded) shutdown_quietly(stream);
}

awaitable<void> serve_tls(tcp::socket socket, asio::ssl::context& tls, Context c) {
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), tls);
  bool upgraded = false;
  try {
    beast::get_lowest_layer(stream).expires_after(15s);
    co_await stream.async_handshake(asio::ssl::stream_base::server, use_awaitable);
    upgraded = co_await serve_http(stream, c);
  } catch (const std::exception&) {
  }
  if (!upgraded) shutdown_quietly(stream);
}

}  // namespace

Server::Server(asio::io_context& io, const Options& options)
    : io_(io), options_(options), files_(options.web_dir), acceptor_(io), hub_(std::make_shared<Hub>(options_)) {
  if (!options_.tls_cert.empty()) {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                      asio::ssl::context::single_dh_use);
    tls_->use_certificate_chain_file(options_.tls_cert.string());
    tls_->use_private_key_file(options_.tls_key.string(), asio::ssl::context::pem);
  }
  const tcp::endpoint endpoint(asio::ip::make_address(options_.listen_host), options_.listen_port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  Hub* hub = hub_.get();
  bridge_ = std::make_unique<Bridge>(
      io_, options_,
      Bridge::Handlers{
          [hub](bool up) { hub->on_link(up); },
          [hub](const std::string& t, const std::string& p, bool r) { hub->on_message(t, p, r); },
          [hub](const std::string& c, const std::string& t, const std::string& p) { hub->on_reply(c, t, p); }});
  hub_->set_bridge(bridge_.get());
}

Server::~Server() {
  hub_->set_bridge(nullptr);
  bridge_.reset();
}

std::uint16_t Server::port() const {
  return acceptor_.local_endpoint().port();
}

std::string Server::url() const {
  std::string host = options_.listen_host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(tls_ ? "https://" : "http://") + host + ":" + std::to_string(port()) + "/";
}

void Server::start() {
  bridge_->start();
  const Context context{options_, files_, hub_, port(), tls_ != nullptr};
  asio::co_spawn(
      io_,
      [this, context]() -> awaitable<void> {
        for (;;) {
          boost::system::error_code ec;
          tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
          if (ec == asio::error::operation_aborted) co_return;
          if (ec) continue;
          if (hub_->connections >= kMaxConnections) {
            socket.close(ec);
            continue;
          }
          ++hub_->connections;
          auto hub = hub_;
          auto done = [hub](std::exception_ptr) { --hub->connections; };
          if (tls_) {
            asio::co_spawn(io_, serve_tls(std::move(socket), *tls_, context), done);
          } else {
            asio::co_spawn(io_, serve_plain(std::move(socket), context), done);
          }
        }
      },
      asio::detached);
}

void Server::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  if (bridge_) bridge_->stop();
}

}  // namespace kazasu::desk
