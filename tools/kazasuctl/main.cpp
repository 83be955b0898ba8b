// kazasuctl: talks to a running kazasud over its control socket, checks its
// files, and prepares files kazasud needs. A human table by default, `--json`
// for scripts. Exit codes (also in --help and README.md):
//   0 ok, 1 refused or failed, 2 usage, 3 the audit log is broken,
//   4 kazasud cannot be reached (not running, or permission denied).
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.hpp"
#include "config/config.hpp"

#ifndef KAZASU_VERSION
#define KAZASU_VERSION "0.0.0"
#endif

extern char** environ;

namespace {

using nlohmann::json;

enum Exit : int { kOk = 0, kFailed = 1, kUsage = 2, kAuditBroken = 3, kUnreachable = 4 };

constexpr std::array<std::string_view, 13> kSubcommands = {"status",       "readers", "plugins", "tail", "reload",
                                                           "check-config", "audit",   "version", "tap",  "pin",
                                                           "clock",        "secret",  "help"};

void usage(std::ostream& out) {
  out << "usage: kazasuctl [--socket PATH | --config FILE] [--json] SUBCOMMAND [ARGS]\n"
         "\n"
         "Asking kazasud (through its control socket):\n"
         "  status                 the station: broker link, queue, storage, readers, plugins\n"
         "  readers                each reader: driver, state, plugins, taps, last tap, outcomes\n"
         "  plugins                each plugin: state, version, ABI, taps, errors, jobs waiting;\n"
         "                         refused plugins and why\n"
         "  plugins clear NAME     forget a quarantined plugin's crashes; kazasud reloads with it\n"
         "  tail [--count N]       follow this station's outcomes as they are committed (topic and\n"
         "                         payload, as a subscriber gets them), without the broker\n"
         "  reload                 re-read and check the configuration; applied only when valid\n"
         "  version                kazasuctl's version and, when reachable, kazasud's\n"
         "  tap --reader R --card C   tap simulated card C (from [sim.cards]) on sim reader R\n"
         "  pin --reader R --pin PIN|- [--for auth|basic_info]\n"
         "                         arm the holder's 4-digit PIN for the next read on R that needs it:\n"
         "                         the JPKI auth PIN (the default) or the card-face PIN for the basic\n"
         "                         four; --pin - reads it from stdin\n"
         "  clock set TIME         shift kazasud's wall clock to TIME (RFC 3339); tests only, needs\n"
         "                         [diagnostics] settable_clock = true\n"
         "\n"
         "The audit log (docs/audit.md):\n"
         "  audit verify [--file FILE | --data-dir DIR]\n"
         "                         check the hash chain; without --file or --data-dir, through kazasud\n"
         "  audit export [--file FILE | --data-dir DIR] [--after SEQ]\n"
         "                         print the rows as JSON lines\n"
         "\n"
         "Files:\n"
         "  check-config FILE [--user NAME]   validate FILE with kazasud --check-config\n"
         "  secret init FILE       write a new 32-byte site secret to FILE, readable by its owner only\n"
         "\n"
         "  --json                 print JSON for scripts instead of tables\n"
         "\n"
         "The socket is --socket, else the control_socket of --config, else $KAZASU_SOCKET,\n"
         "else /run/kazasu/control.sock. It admits root and the kazasu group.\n"
         "\n"
         "Exit codes: 0 ok; 1 refused or failed; 2 usage; 3 the audit log is broken;\n"
         "4 kazasud cannot be reached (not running, or permission denied).\n";
}

// --- Small helpers ---

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

// Levenshtein distance with a bound on the input: names longer than 64 are not compared.
size_t edit_distance(std::string_view a, std::string_view b) {
  if (a.size() > 64 || b.size() > 64) return SIZE_MAX;
  std::vector<size_t> prev(b.size() + 1);
  std::vector<size_t> cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The nearest subcommand, when it is near enough to be a typo.
std::optional<std::string_view> nearest_subcommand(std::string_view typed) {
  std::optional<std::string_view> best;
  size_t best_d = SIZE_MAX;
  for (auto name : kSubcommands) {
    const size_t d = edit_distance(typed, name);
    if (d < best_d) {
      best_d = d;
      best = name;
    }
  }
  if (!best || best_d > std::max<size_t>(2, best->size() / 3)) return std::nullopt;
  return best;
}

// Prints a name typed on the command line safely: at most 64 bytes, controls escaped.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  if (s.size() > 64) out += "...";
  return out;
}

std::string str(const json& j, const char* key, const std::string& fallback = "-") {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::string human_bytes(uint64_t b) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  std::ostringstream s;
  s << std::fixed << std::setprecision(u == 0 ? 0 : 1) << v << " " << kUnits[u];
  return s.str();
}

// A table: a header row and rows, printed with columns padded to their widest cell.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const {
    std::vector<size_t> w;
    for (const auto& r : rows_) {
      if (w.size() < r.size()) w.resize(r.size());
      for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
    }
    for (const auto& r : rows_) {
      std::string line;
      for (size_t i = 0; i < r.size(); ++i) {
        line += r[i];
        if (i + 1 < r.size()) line += std::string(w[i] - r[i].size() + 2, ' ');
      }
      out << line << "\n";
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

// --- The control socket ---

// Reads newline-terminated lines from a socket, at most kMaxLine bytes each.
class LineReader {
 public:
  static constexpr size_t kMaxLine = size_t{32} << 20;
  explicit LineReader(int fd) : fd_(fd) {}
  // The next line without its newline; nullopt at end of stream, on error or for an over-long line.
  std::optional<std::string> next() {
    while (true) {
      if (auto nl = buf_.find('\n', scanned_); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        scanned_ = 0;
        return line;
      }
      scanned_ = buf_.size();
      if (buf_.size() > kMaxLine) return std::nullopt;
      char chunk[65536];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buf_;
  size_t scanned_ = 0;
};

struct Connection {
  std::unique_ptr<Fd> fd;
  std::unique_ptr<LineReader> reader;
};

// Connects and sends one request; an exit code (kUnreachable with a sentence) on failure.
int open_request(const std::string& socket_path, const json& req, Connection& conn) {
  conn.fd = std::make_unique<Fd>(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    std::cerr << "kazasuctl: socket path too long: " << socket_path << "\n";
    return kUsage;
  }
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(conn.fd->fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    if (err == EACCES || err == EPERM) {
      std::cerr << "kazasuctl: permission denied on " << socket_path
                << ": only root and members of the kazasu group may talk to kazasud (add the user with "
                   "`adduser USER kazasu`, then log in again)\n";
    } else if (err == ENOENT || err == ECONNREFUSED) {
      std::cerr << "kazasuctl: kazasud is not running (nothing listens at " << socket_path << ")\n";
    } else {
      std::cerr << "kazasuctl: cannot reach kazasud at " << socket_path << ": " << std::strerror(err) << "\n";
    }
    return kUnreachable;
  }
  const std::string line = req.dump() + "\n";
  size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t n = ::send(conn.fd->fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::cerr << "kazasuctl: cannot send to kazasud: " << std::strerror(errno) << "\n";
      return kUnreachable;
    }
    sent += static_cast<size_t>(n);
  }
  conn.reader = std::make_unique<LineReader>(conn.fd->fd);
  return kOk;
}

int read_reply(Connection& conn, json& reply) {
  auto line = conn.reader->next();
  if (!line) {
    std::cerr << "kazasuctl: kazasud closed the connection without an answer\n";
    return kUnreachable;
  }
  reply = json::parse(*line, nullptr, false);
  if (reply.is_discarded() || !reply.is_object()) {
    std::cerr << "kazasuctl: kazasud sent a reply that is not a JSON object\n";
    return kFailed;
  }
  return kOk;
}

int request(const std::string& socket_path, const json& req, json& reply) {
  Connection conn;
  if (int rc = open_request(socket_path, req, conn); rc != kOk) return rc;
  return read_reply(conn, reply);
}

// A refusal: the sentence on stderr (and the reply on stdout with --json); exit 1.
int refused(const json& reply, bool as_json) {
  if (as_json) std::cout << reply.dump() << "\n";
  std::cerr << "kazasuctl: " << str(reply, "error", "request refused") << "\n";
  if (auto errors = reply.find("errors"); errors != reply.end() && errors->is_array()) {
    for (const auto& e : *errors) std::cerr << "  " << (e.is_string() ? e.get<std::string>() : e.dump()) << "\n";
  }
  return kFailed;
}

// --- Views ---

void print_status(const json& s) {
  std::cout << "station   " << str(s, "site") << "/" << str(s, "station") << "  " << str(s, "state") << "  kazasud "
            << str(s, "version") << "\n";
  std::cout << "broker    " << str(s, "mqtt") << "  queued " << str(s, "queued") << "  taps in flight "
            << str(s, "taps_in_flight") << "\n";
  if (auto st = s.find("storage"); st != s.end() && st->is_object()) {
    std::cout << "storage   " << str(*st, "state") << "  free " << human_bytes(st->value("free_bytes", uint64_t{0}))
              << " (alarm below " << human_bytes(st->value("alarm_free_bytes", uint64_t{0})) << ")";
    if (st->value("dropped_from_memory", 0) > 0) std::cout << "  dropped " << str(*st, "dropped_from_memory");
    std::cout << "\n";
  }
  if (auto sh = s.find("shared"); sh != s.end() && sh->is_object()) {
    std::cout << "shared    " << str(*sh, "engine") << "  "
              << (sh->value("reachable", false) ? "reachable" : "unreachable") << "  queued "
              << str(*sh, "queued_entries") << "  conflicts " << str(*sh, "conflicts") << "\n";
  }
  if (auto rl = s.find("reload"); rl != s.end() && rl->is_object()) {
    std::cout << "reload    " << (rl->value("ok", false) ? "ok" : "refused") << " at " << str(*rl, "at") << "\n";
    if (auto errs = rl->find("errors"); errs != rl->end() && errs->is_array()) {
      for (const auto& e : *errs)
        std::cout << "          " << (e.is_string() ? e.get<std::string>() : e.dump()) << "\n";
    }
  }
  std::cout << "\n";
  Table readers({"READER"});
  if (auto rs = s.find("readers"); rs != s.end() && rs->is_array()) {
    for (const auto& r : *rs) readers.add({r.is_string() ? r.get<std::string>() : r.dump()});
  }
  readers.print(std::cout);
  std::cout << "\n";
  Table plugins({"PLUGIN", "VERSION", "TAPS", "ERRORS"});
  if (auto ps = s.find("plugins"); ps != s.end() && ps->is_array()) {
    for (const auto& p : *ps) plugins.add({str(p, "name"), str(p, "version"), str(p, "taps"), str(p, "errors")});
  }
  if (auto rs = s.find("refused_plugins"); rs != s.end() && rs->is_array()) {
    for (const auto& p : *rs) plugins.add({str(p, "name"), "refused: " + str(p, "reason"), "-", "-"});
  }
  plugins.print(std::cout);
}

void print_readers(const json& reply) {
  Table t({"READER", "DRIVER", "STATE", "TAPS", "LAST TAP", "LAST STATUS", "PLUGINS"});
  std::vector<std::string> notes;
  for (const auto& r : reply.value("readers", json::array())) {
    std::string plugins;
    for (const auto& p : r.value("plugins", json::array())) {
      if (!plugins.empty()) plugins += ',';
      plugins += p.is_string() ? p.get<std::string>() : p.dump();
    }
    t.add({str(r, "name"), str(r, "driver"), str(r, "state"), str(r, "taps"), str(r, "last_tap"), str(r, "last_status"),
           plugins.empty() ? "-" : plugins});
    if (!str(r, "detail", "").empty()) notes.push_back(str(r, "name") + ": " + str(r, "detail"));
    std::string outcomes;
    const json counts = r.value("outcomes", json::object());
    for (const auto& [k, v] : counts.items()) {
      if (!outcomes.empty()) outcomes += "  ";
      outcomes += k;
      outcomes += ' ';
      outcomes += v.dump();
    }
    if (!outcomes.empty()) notes.push_back(str(r, "name") + " outcomes: " + outcomes);
  }
  t.print(std::cout);
  if (!notes.empty()) std::cout << "\n";
  for (const auto& n : notes) std::cout << n << "\n";
}

void print_plugins(const json& reply) {
  Table t({"PLUGIN", "STATE", "VERSION", "ABI", "TAPS", "ERRORS", "QUEUED"});
  std::vector<std::string> notes;
  for (const auto& p : reply.value("plugins", json::array())) {
    t.add({str(p, "name"), str(p, "state"), str(p, "version"), str(p, "abi"), str(p, "taps"), str(p, "errors"),
           str(p, "queued")});
    if (str(p, "state") == "refused")
      notes.push_back(str(p, "name") + " (" + str(p, "reason") + "): " + str(p, "message"));
  }
  t.print(std::cout);
  if (!notes.empty()) std::cout << "\n";
  for (const auto& n : notes) std::cout << n << "\n";
}

// One outcome of `tail` for people: time, reader, plugin/event, id, the plugin's own fields.
void print_outcome(const json& line) {
  const json payload = line.value("payload", json::object());
  json fields = json::object();
  for (const auto& [k, v] : payload.items()) {
    if (k != "schema" && k != "id" && k != "ts" && k != "site" && k != "station" && k != "reader" && k != "plugin" &&
        k != "event") {
      fields[k] = v;
    }
  }
  std::string ts = str(payload, "ts");
  if (ts.size() >= 23) ts = ts.substr(11, 12);  // HH:MM:SS.mmm
  std::cout << ts << "  " << str(payload, "reader") << "  " << str(payload, "plugin") << "/" << str(payload, "event")
            << "  " << str(payload, "id") << "  " << fields.dump(-1, ' ', false, json::error_handler_t::replace)
            << std::endl;
}

// --- Subcommands ---

int cmd_tail(const std::string& socket_path, const std::vector<std::string>& args, bool as_json) {
  uint64_t count = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--count" && i + 1 < args.size()) {
      char* end = nullptr;
      count = std::strtoull(args[++i].c_str(), &end, 10);
      if (end == nullptr || *end != '\0' || count == 0) {
        std::cerr << "kazasuctl: --count needs a number of outcomes (1 or more)\n";
        return kUsage;
      }
    } else {
      std::cerr << "kazasuctl: tail: unknown argument " << printable(args[i]) << "\n";
      return kUsage;
    }
  }
  Connection conn;
  if (int rc = open_request(socket_path, {{"cmd", "tail"}}, conn); rc != kOk) return rc;
  json reply;
  if (int rc = read_reply(conn, reply); rc != kOk) return rc;
  if (!reply.value("ok", false)) return refused(reply, as_json);
  if (!as_json) std::cerr << "following outcomes; Ctrl-C stops\n";
  uint64_t seen = 0;
  while (auto line = conn.reader->next()) {
    const json j = json::parse(*line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    if (j.contains("ok")) {
      // The stream's last line: kazasud stopping, or this client dropped for being slow.
      if (j.value("ok", false)) {
        std::cerr << "kazasuctl: " << str(j, "message", "the stream ended") << "\n";
        return kOk;
      }
      return refused(j, as_json);
    }
    if (as_json) {
      std::cout << *line << std::endl;
    } else {
      print_outcome(j);
    }
    if (count > 0 && ++seen >= count) return kOk;
  }
  std::cerr << "kazasuctl: kazasud closed the connection\n";
  return kUnreachable;
}

std::filesystem::path self_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

// kazasud beside kazasuctl (an installed system, or KAZASUD_DIR for a build tree), else on PATH.
std::string find_kazasud() {
  for (const auto& dir :
       {std::filesystem::path(std::getenv("KAZASUD_DIR") ? std::getenv("KAZASUD_DIR") : ""), self_dir()}) {
    if (dir.empty()) continue;
    const auto candidate = dir / "kazasud";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "kazasud";  // posix_spawnp searches PATH
}

int cmd_check_config(const std::vector<std::string>& args, bool as_json) {
  if (args.empty() || (args.size() != 1 && !(args.size() == 3 && args[1] == "--user"))) {
    std::cerr << "kazasuctl: usage: check-config FILE [--user NAME]\n";
    return kUsage;
  }
  const std::string kazasud = find_kazasud();
  std::vector<std::string> argv{kazasud, "--check-config", args[0]};
  if (args.size() == 3) {
    argv.emplace_back("--user");
    argv.push_back(args[2]);
  }
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    std::cerr << "kazasuctl: pipe: " << std::strerror(errno) << "\n";
    return kFailed;
  }
  Fd rd(pipefd[0]);
  Fd wr(pipefd[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, wr.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, wr.fd, 2);
  pid_t pid = -1;
  const int err = ::posix_spawnp(&pid, kazasud.c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    std::cerr << "kazasuctl: cannot run " << kazasud << ": " << std::strerror(err)
              << " (kazasud is looked for beside kazasuctl, then on PATH)\n";
    return kFailed;
  }
  ::close(wr.fd);
  wr.fd = -1;
  std::string out;
  char buf[4096];
  ssize_t n = 0;
  constexpr size_t kMaxOutput = size_t{1} << 20;
  while ((n = ::read(rd.fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (out.size() < kMaxOutput) out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (as_json) {
    json errors = json::array();
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && !ok) errors.push_back(line);
    }
    std::cout << json{{"ok", ok}, {"file", args[0]}, {"errors", errors}}.dump(-1, ' ', false,
                                                                              json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << out;
  }
  return ok ? kOk : kFailed;
}

int cmd_version(const std::string& socket_path, bool as_json) {
  json reply;
  std::ostringstream quiet;
  auto* old = std::cerr.rdbuf(quiet.rdbuf());
  const int rc = request(socket_path, {{"cmd", "version"}}, reply);
  std::cerr.rdbuf(old);
  const bool reached = rc == kOk && reply.value("ok", false);
  std::string why = quiet.str();
  if (!why.empty() && why.back() == '\n') why.pop_back();
  if (why.rfind("kazasuctl: ", 0) == 0) why = why.substr(11);
  if (rc == kOk && !reached) why = str(reply, "error", "kazasud does not answer `version`");
  if (as_json) {
    json out{{"kazasuctl", KAZASU_VERSION}};
    if (reached) {
      out["kazasud"] = {{"version", str(reply, "version")}, {"abi", str(reply, "abi")}};
    } else {
      out["kazasud"] = nullptr;
      out["kazasud_unreachable"] = why;
    }
    std::cout << out.dump() << "\n";
  } else {
    std::cout << "kazasuctl " << KAZASU_VERSION << "\n";
    if (reached) {
      std::cout << "kazasud " << str(reply, "version") << " (plugin ABI " << str(reply, "abi") << ")\n";
    } else {
      std::cout << "kazasud: not reachable (" << why << ")\n";
    }
  }
  return kOk;
}

// Where `audit` reads rows from: a file, or kazasud page by page.
struct AuditSource {
  std::string file;
  std::string socket_path;
  int64_t after = 0;
};

// Calls `row_fn` for every row in seq order; an exit code.
template <class Fn>
int each_audit_row(const AuditSource& src, Fn&& row_fn) {
  if (!src.file.empty()) {
    try {
      kazasu::audit::Reader reader(src.file);
      int64_t after = src.after;
      constexpr size_t kPage = 4096;
      while (true) {
        const auto rows = reader.rows(after, kPage);
        for (const auto& r : rows) {
          if (!row_fn(r)) return kOk;
        }
        if (rows.size() < kPage) return kOk;
        after = rows.back().seq;
      }
    } catch (const std::exception& e) {
      std::cerr << "kazasuctl: " << e.what() << "\n";
      return kFailed;
    }
  }
  int64_t after = src.after;
  while (true) {
    json reply;
    if (int rc = request(src.socket_path, {{"cmd", "audit"}, {"op", "export"}, {"after", after}}, reply); rc != kOk) {
      return rc;
    }
    if (!reply.value("ok", false)) return refused(reply, false);
    const json rows = reply.value("rows", json::array());
    for (const auto& j : rows) {
      auto row = kazasu::audit::row_from_json(j);
      if (!row) {
        std::cerr << "kazasuctl: kazasud sent an audit row kazasuctl cannot read\n";
        return kFailed;
      }
      if (!row_fn(*row)) return kOk;
      after = row->seq;
    }
    if (!reply.value("more", false) || rows.empty()) return kOk;
  }
}

int cmd_audit(const std::string& socket_path, const std::vector<std::string>& args, bool as_json) {
  if (args.empty() || (args[0] != "verify" && args[0] != "export")) {
    std::cerr << "kazasuctl: usage: audit verify|export [--file FILE | --data-dir DIR]"
                 " [--after SEQ (export)]\n";
    return kUsage;
  }
  AuditSource src;
  src.socket_path = socket_path;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--file" && i + 1 < args.size()) {
      src.file = args[++i];
    } else if (args[i] == "--data-dir" && i + 1 < args.size()) {
      src.file = (std::filesystem::path(args[++i]) / kazasu::AuditLog::kFileName).string();
    } else if (args[i] == "--after" && i + 1 < args.size() && args[0] == "export") {
      char* end = nullptr;
      src.after = std::strtoll(args[++i].c_str(), &end, 10);
      if (end == nullptr || *end != '\0' || src.after < 0) {
        std::cerr << "kazasuctl: --after needs a sequence number\n";
        return kUsage;
      }
    } else {
      std::cerr << "kazasuctl: audit " << args[0] << ": unknown argument " << printable(args[i]) << "\n";
      return kUsage;
    }
  }
  if (!src.file.empty() && ::access(src.file.c_str(), R_OK) != 0) {
    if (errno == EACCES) {
      std::cerr << "kazasuctl: permission denied on " << src.file
                << ": the data directory is the kazasu user's alone; run this as root or kazasu, or leave out "
                   "--file and --data-dir to verify through kazasud\n";
      return kUnreachable;
    }
    std::cerr << "kazasuctl: no audit log at " << src.file << " (" << std::strerror(errno) << ")\n";
    return kFailed;
  }

  if (args[0] == "export") {
    return each_audit_row(src, [](const kazasu::audit::Row& r) {
      std::cout << kazasu::audit::row_json(r).dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
      return true;
    });
  }

  kazasu::audit::ChainVerifier chain;
  if (int rc = each_audit_row(src, [&](const kazasu::audit::Row& r) { return chain.feed(r); }); rc != kOk) return rc;
  if (const auto& b = chain.broken()) {
    if (as_json) {
      std::cout << json{{"ok", false},
                        {"rows_verified", chain.rows()},
                        {"broken", {{"seq", b->seq}, {"reason", to_string(b->reason)}, {"message", b->message}}}}
                       .dump()
                << "\n";
    } else {
      std::cout << "audit log BROKEN at row " << b->seq << " (" << to_string(b->reason) << "): " << b->message << "\n"
                << chain.rows() << " rows before it verify\n";
    }
    return kAuditBroken;
  }
  if (as_json) {
    std::cout << json{{"ok", true},
                      {"rows", chain.rows()},
                      {"last_seq", chain.last_seq()},
                      {"head_hash", chain.head_hash()}}
                     .dump()
              << "\n";
  } else {
    std::cout << "audit log ok: " << chain.rows() << " rows, last seq " << chain.last_seq() << ", head "
              << chain.head_hash() << "\n";
  }
  return kOk;
}

int secret_init(const std::string& file) {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof key) != 1) {
    std::cerr << "kazasuctl: no randomness available\n";
    return kFailed;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : key) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0xF]);
  }
  OPENSSL_cleanse(key, sizeof key);
  hex.push_back('\n');
  // O_EXCL: never overwrite a secret, which would change every token.
  Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.fd < 0) {
    std::cerr << "kazasuctl: cannot create " << file << ": " << std::strerror(errno) << "\n";
    OPENSSL_cleanse(hex.data(), hex.size());
    return kFailed;
  }
  const bool ok = ::write(fd.fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size());
  OPENSSL_cleanse(hex.data(), hex.size());
  if (!ok) {
    std::cerr << "kazasuctl: write failed: " << std::strerror(errno) << "\n";
    return kFailed;
  }
  std::cout << "wrote a new site secret to " << file << " (mode 0600)\n";
  return kOk;
}

// `pin --reader R --pin 1234|- [--for auth|basic_info]`; the PIN only travels in the request, never in output.
int pin_request(const std::vector<std::string>& args, json& req) {
  std::string pin;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--reader" && i + 1 < args.size()) {
      req["reader"] = args[++i];
    } else if (arg == "--for" && i + 1 < args.size()) {
      req["for"] = args[++i];
    } else if (arg == "--pin" && i + 1 < args.size()) {
      pin = args[++i];
      if (pin == "-" && !std::getline(std::cin, pin)) pin.clear();
      while (!pin.empty() && (pin.back() == '\r' || pin.back() == ' ')) pin.pop_back();
    } else {
      std::cerr << "kazasuctl: unknown argument " << printable(arg) << "\n";
      return kUsage;
    }
  }
  if (!req.contains("reader") || pin.empty()) {
    std::cerr << "kazasuctl: pin needs --reader and --pin\n";
    return kUsage;
  }
  req["pin"] = pin;
  OPENSSL_cleanse(pin.data(), pin.size());
  return kOk;
}

int run(int argc, char** argv) {
  std::string socket_path;
  if (const char* env = std::getenv("KAZASU_SOCKET")) socket_path = env;
  bool as_json = false;
  std::string cmd;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json") {
      as_json = true;
    } else if (!cmd.empty()) {
      args.push_back(arg);
    } else if ((arg == "--socket" || arg == "--config") && i + 1 < argc) {
      if (arg == "--socket") {
        socket_path = argv[++i];
      } else {
        try {
          socket_path = kazasu::load_config(argv[++i]).station.control_socket.string();
        } catch (const kazasu::ConfigException& e) {
          std::cerr << e.what() << "\n";
          return kUsage;
        }
      }
    } else if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      return kOk;
    } else if (arg == "--version") {
      cmd = "version";
    } else if (!arg.empty() && arg[0] == '-') {
      std::cerr << "kazasuctl: unknown option " << printable(arg) << "\n";
      usage(std::cerr);
      return kUsage;
    } else {
      cmd = arg;
    }
  }
  if (socket_path.empty()) socket_path = "/run/kazasu/control.sock";
  if (cmd.empty()) {
    usage(std::cerr);
    return kUsage;
  }
  if (std::find(kSubcommands.begin(), kSubcommands.end(), cmd) == kSubcommands.end()) {
    std::cerr << "kazasuctl: unknown subcommand '" << printable(cmd) << "'";
    if (auto near = nearest_subcommand(cmd)) std::cerr << "; did you mean '" << *near << "'?";
    std::cerr << "\nkazasuctl --help lists them\n";
    return kUsage;
  }

  if (cmd == "help") {
    usage(std::cout);
    return kOk;
  }
  if (cmd == "secret") {
    if (args.size() == 2 && args[0] == "init") return secret_init(args[1]);
    std::cerr << "kazasuctl: usage: secret init FILE\n";
    return kUsage;
  }
  if (cmd == "check-config") return cmd_check_config(args, as_json);
  if (cmd == "version") {
    if (!args.empty()) {
      std::cerr << "kazasuctl: version takes no arguments\n";
      return kUsage;
    }
    return cmd_version(socket_path, as_json);
  }
  if (cmd == "tail") return cmd_tail(socket_path, args, as_json);
  if (cmd == "audit") return cmd_audit(socket_path, args, as_json);

  json req{{"cmd", cmd}};
  if (cmd == "tap") {
    for (size_t i = 0; i < args.size(); ++i) {
      if ((args[i] == "--reader" || args[i] == "--card") && i + 1 < args.size()) {
        req[args[i].substr(2)] = args[i + 1];
        ++i;
      } else {
        std::cerr << "kazasuctl: unknown argument " << printable(args[i]) << "\n";
        return kUsage;
      }
    }
    if (!req.contains("reader") || !req.contains("card")) {
      std::cerr << "kazasuctl: tap needs --reader and --card\n";
      return kUsage;
    }
  } else if (cmd == "pin") {
    if (int rc = pin_request(args, req); rc != kOk) return rc;
  } else if (cmd == "clock") {
    if (args.size() != 2 || args[0] != "set") {
      std::cerr << "kazasuctl: usage: clock set TIME\n";
      return kUsage;
    }
    req["set"] = args[1];
  } else if (cmd == "plugins" && !args.empty()) {
    // `plugins clear NAME`: a quarantined plugin's crashes no longer count; kazasud reloads with it.
    if (args.size() != 2 || args[0] != "clear") {
      std::cerr << "kazasuctl: usage: plugins [clear NAME]\n";
      return kUsage;
    }
    req = json{{"cmd", "plugin_clear"}, {"plugin", args[1]}};
  } else if (!args.empty()) {
    std::cerr << "kazasuctl: " << cmd << " takes no arguments\n";
    return kUsage;
  }

  json reply;
  const int rc = request(socket_path, req, reply);
  if (req.contains("pin"))
    OPENSSL_cleanse(req["pin"].get_ref<std::string&>().data(), req["pin"].get_ref<std::string&>().size());
  if (rc != kOk) return rc;
  if (!reply.value("ok", false)) return refused(reply, as_json);
  if (as_json) {
    reply.erase("ok");
    std::cout << reply.dump(2) << "\n";
    return kOk;
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
  } else if (cmd == "status") {
    print_status(reply);
  } else if (cmd == "readers") {
    print_readers(reply);
  } else if (req["cmd"] == "plugin_clear") {
    std::cout << "plugin " << req["plugin"].get<std::string>() << " cleared"
              << (reply.value("reloading", false) ? "; kazasud is reloading to load it again\n" : "\n");
  } else if (cmd == "plugins") {
    print_plugins(reply);
  } else if (cmd == "reload") {
    std::cout << "kazasud is reloading its configuration\n";
  }
  return kOk;
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
  return kFailed;
}
