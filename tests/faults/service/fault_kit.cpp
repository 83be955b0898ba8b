#include "fault_kit.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace kazasu::faults {

using nlohmann::json;

// ---- Report -------------------------------------------------------------------------

void Report::count(const std::string& what, int64_t value) {
  std::cout << "[faults] " << name_ << ": " << what << " = " << value << std::endl;
  ::testing::Test::RecordProperty(what, std::to_string(value));
}

void Report::note(const std::string& what, const std::string& value) {
  std::cout << "[faults] " << name_ << ": " << what << " = " << value << std::endl;
  ::testing::Test::RecordProperty(what, value);
}

void Report::ms(const std::string& what, double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.2f", value);
  std::cout << "[faults] " << name_ << ": " << what << " = " << text << " ms" << std::endl;
  ::testing::Test::RecordProperty(what + "_ms", text);
}

void keep_on_failure(const std::filesystem::path& dir) {
  const char* keep = std::getenv("KAZASU_FAULTS_KEEP");
  if (keep == nullptr || *keep == '\0' || !::testing::Test::HasFailure()) return;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path to =
      std::filesystem::path(keep) / (std::string(info->test_suite_name()) + "." + info->name());
  std::error_code ec;
  std::filesystem::remove_all(to, ec);
  std::filesystem::create_directories(to, ec);
  // Regular files only: the control socket is not something to copy.
  size_t files = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const auto target = to / std::filesystem::relative(it->path(), dir);
    std::error_code one;
    std::filesystem::create_directories(target.parent_path(), one);
    std::filesystem::copy_file(it->path(), target, std::filesystem::copy_options::overwrite_existing, one);
    files += one ? 0 : 1;
  }
  std::cerr << "kept " << files << " files of " << dir << " in " << to << "\n";
}

uint64_t seed_from_env(uint64_t fallback) {
  if (const char* s = std::getenv("KAZASU_FAULTS_SEED"); s != nullptr && *s != '\0') {
    return std::strtoull(s, nullptr, 0);
  }
  return fallback;
}

// ---- the control socket -------------------------------------------------------------

namespace {

int connect_unix(const std::filesystem::path& socket) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads until a newline (kept in `buffered` past it); the line, or nothing on EOF/timeout.
std::optional<std::string> read_line(int fd, std::string& buffered, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (const size_t nl = buffered.find('\n'); nl != std::string::npos) {
      std::string line = buffered.substr(0, nl);
      buffered.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    buffered.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

ControlClient::ControlClient(const std::filesystem::path& socket) : fd_(connect_unix(socket)) {}

ControlClient::~ControlClient() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<json> ControlClient::request(json req) {
  if (fd_ < 0) return std::nullopt;
  req["keep_open"] = true;
  std::optional<std::string> line;
  if (send_all(fd_, req.dump() + "\n")) line = read_line(fd_, buffered_, std::chrono::seconds(15));
  if (!line) {
    ::close(fd_);
    fd_ = -1;
    return std::nullopt;
  }
  auto j = json::parse(*line, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::optional<std::string> ControlClient::tap(const std::string& reader, const std::string& card) {
  auto r = request(json{{"cmd", "tap"}, {"reader", reader}, {"card", card}});
  if (!r || r->value("ok", false) != true || !(*r)["id"].is_string()) return std::nullopt;
  return (*r)["id"].get<std::string>();
}

std::string control_once(const std::filesystem::path& socket, const std::string& bytes,
                         std::chrono::milliseconds timeout) {
  const int fd = connect_unix(socket);
  if (fd < 0) return {};
  std::string buffered;
  std::optional<std::string> line;
  if (send_all(fd, bytes)) {
    // A request without its newline is only answered once we say we are done.
    if (bytes.empty() || bytes.back() != '\n') ::shutdown(fd, SHUT_WR);
    line = read_line(fd, buffered, timeout);
  }
  ::close(fd);
  return line.value_or(std::string());
}

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  // After the command name (in parentheses, may hold spaces): state is field 3, utime 14, stime 15.
  std::istringstream rest(stat.substr(close + 2));
  std::vector<std::string> f;
  for (std::string field; rest >> field;) f.push_back(field);
  if (f.size() < 13) return 0;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return (std::stod(f[11]) + std::stod(f[12])) / ticks;
}

int64_t rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      int64_t kb = -1;
      in >> kb;
      return kb;
    }
    std::string rest;
    std::getline(in, rest);
  }
  return -1;
}

// ---- mosquitto ----------------------------------------------------------------------

KillableBroker::KillableBroker(const std::filesystem::path& dir, bool persistent)
    : dir_(dir), persistent_(persistent), port_(test::free_port()) {
  std::filesystem::create_directories(dir_);
  std::string conf = "listener " + std::to_string(port_) +
                     " 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n"
                     "max_queued_messages 0\nmax_inflight_messages 0\n";
  // As test::Broker: mosquitto started as root would drop to a user that cannot write here.
  if (const passwd* pw = ::getpwuid(::geteuid())) conf += std::string("user ") + pw->pw_name + "\n";
  // Saved after every change: a SIGKILL loses only what the broker did since its last loop.
  conf += persistent_ ? "persistence true\npersistence_location " + dir_.string() +
                            "/\nautosave_on_changes true\nautosave_interval 1\n"
                      : std::string("persistence false\n");
  test::write_file(dir_ / "mosquitto.conf", conf);
  start();
}

void KillableBroker::start() {
  ++runs_;
  process_ = std::make_unique<test::Process>(
      std::vector<std::string>{"/usr/sbin/mosquitto", "-c", (dir_ / "mosquitto.conf").string()},
      dir_ / ("mosquitto-" + std::to_string(runs_) + ".log"));
  if (!test::wait_for_port(port_, std::chrono::seconds(10))) {
    throw std::runtime_error("mosquitto did not start: " + process_->output());
  }
}

void KillableBroker::kill() {
  if (process_) process_->stop(SIGKILL, std::chrono::seconds(5));
  process_.reset();
}

bool KillableBroker::saved() const {
  return std::filesystem::exists(dir_ / "mosquitto.db");
}

std::string KillableBroker::log() const {
  return process_ ? process_->output() : std::string();
}

// ---- the collector ------------------------------------------------------------------

namespace {
// Paho writes to a socket the killed broker left half-closed: that must be an
// error it handles, not a signal that ends the test.
const bool kSigpipeIgnored = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();
}  // namespace

Collector::Collector(const std::string& uri, std::vector<std::string> filters, const std::string& session_id)
    : filters_(std::move(filters)),
      persistent_(!session_id.empty()),
      client_(uri,
              session_id.empty() ? "kazasu-faults-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(reinterpret_cast<uintptr_t>(this))
                                 : session_id,
              mqtt::create_options(MQTTVERSION_5, 65535), nullptr) {
  client_.set_message_callback([this](mqtt::const_message_ptr msg) {
    Arrival a{msg->get_topic(), msg->to_string(), {}, msg->is_duplicate(), Clock::now(), {}};
    const auto j = json::parse(a.payload, nullptr, false);
    if (j.is_object() && j.contains("id") && j["id"].is_string()) a.id = j["id"].get<std::string>();
    if (msg->get_properties().contains(mqtt::property::CORRELATION_DATA)) {
      a.correlation = mqtt::get<mqtt::binary>(msg->get_properties(), mqtt::property::CORRELATION_DATA);
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!a.id.empty()) first_.emplace(a.id, a.at);
    arrivals_.push_back(std::move(a));
  });
  if (!reconnect(std::chrono::seconds(10)))
    throw std::runtime_error("the collector cannot connect to " + uri + ": " + last_error_);
}

Collector::~Collector() {
  client_.set_message_callback(nullptr);
  try {
    if (client_.is_connected()) client_.disconnect()->wait_for(std::chrono::seconds(2));
  } catch (...) {  // the broker may be gone
  }
}

void Collector::subscribe() {
  for (const auto& f : filters_) {
    auto tok = client_.subscribe(f, 1);
    if (!tok->wait_for(std::chrono::seconds(5))) throw std::runtime_error("no SUBACK for " + f);
  }
}

mqtt::token_ptr Collector::start_connect() {
  auto builder = mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_5)
                     .clean_start(!persistent_)
                     .keep_alive_interval(std::chrono::seconds(5))
                     .connect_timeout(std::chrono::seconds(3));
  mqtt::properties props;
  if (persistent_) props.add(mqtt::property(mqtt::property::SESSION_EXPIRY_INTERVAL, 600));
  // Whatever kazasud has in flight may come at once: never make the broker hold it back.
  props.add(mqtt::property(mqtt::property::RECEIVE_MAXIMUM, 65535));
  builder.properties(props);
  return client_.connect(builder.finalize());
}

bool Collector::reconnect(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // Paho notices a killed broker's closed socket at once; wait for it, so a
  // subscribe never goes to the connection that died.
  while (client_.is_connected() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  while (Clock::now() < deadline) {
    try {
      if (!client_.is_connected()) {
        // One attempt at a time: Paho C must not be asked to connect while an
        // attempt is still running (it frees the options' properties under
        // the new call). The attempt ends by itself within connect_timeout.
        auto tok = start_connect();
        if (!tok->wait_for(std::chrono::seconds(15))) {
          last_error_ = "a connect attempt did not end";
          return false;
        }
      }
      subscribe();
      return true;
    } catch (const std::exception& e) {
      last_error_ = e.what();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return false;
}

std::vector<Arrival> Collector::arrivals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return arrivals_;
}

size_t Collector::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return arrivals_.size();
}

size_t Collector::distinct() const {
  std::lock_guard<std::mutex> lock(mu_);
  return first_.size();
}

std::unordered_map<std::string, Clock::time_point> Collector::first_seen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return first_;
}

std::set<std::string> Collector::wait_for_ids(const std::set<std::string>& want,
                                              std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::set<std::string> missing;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& id : want) {
        if (first_.count(id) == 0) missing.insert(id);
      }
    }
    if (missing.empty() || Clock::now() >= deadline) return missing;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// ---- the MQTT stream ----------------------------------------------------------------

namespace {

bool valid_topic(const std::string& t) {
  if (t.empty()) return false;
  // UTF-8 (RFC 3629), no control characters (MQTT 5 1.5.4), no wildcards in a PUBLISH topic.
  for (size_t i = 0; i < t.size();) {
    const auto c = static_cast<unsigned char>(t[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > t.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(t[i + k]) & 0xC0) != 0x80) return false;
    }
    if (len == 1 && (c < 0x20 || c == 0x7F || c == '+' || c == '#')) return false;
    i += len;
  }
  return true;
}

std::string printable(const std::string& s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

}  // namespace

void MqttWatch::feed(uint64_t link, bool from_client, const char* data, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string& buf = buffers_[{link, from_client}];
  buf.append(data, n);
  size_t at = 0;
  for (;;) {
    // Fixed header, then the remaining length (1 to 4 bytes, 7 bits each).
    if (buf.size() - at < 2) break;
    size_t length = 0;
    size_t pos = at + 1;
    int shift = 0;
    bool complete = false;
    while (pos < buf.size() && shift <= 21) {
      const auto b = static_cast<unsigned char>(buf[pos++]);
      length |= static_cast<size_t>(b & 0x7F) << shift;
      shift += 7;
      if ((b & 0x80) == 0) {
        complete = true;
        break;
      }
    }
    if (!complete || buf.size() - pos < length) break;
    packet(link, from_client, static_cast<uint8_t>(buf[at]), buf.substr(pos, length));
    at = pos + length;
  }
  buf.erase(0, at);
}

void MqttWatch::packet(uint64_t link, bool from_client, uint8_t header, const std::string& body) {
  const int type = header >> 4;
  auto u16 = [&body](size_t at) {
    return at + 2 <= body.size() ? static_cast<uint16_t>((static_cast<unsigned char>(body[at]) << 8) |
                                                         static_cast<unsigned char>(body[at + 1]))
                                 : uint16_t{0};
  };
  if (from_client && type == 3) {
    ++publishes_;
    const int qos = (header >> 1) & 3;
    const size_t topic_len = u16(0);
    const std::string topic = body.substr(2, topic_len);
    size_t at = 2 + topic_len;
    const uint16_t pid = qos > 0 ? u16(at) : 0;
    at += qos > 0 ? 2 : 0;
    size_t props = 0;
    for (int shift = 0; at < body.size() && shift <= 21; shift += 7) {
      const auto b = static_cast<unsigned char>(body[at++]);
      props |= static_cast<size_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) break;
    }
    const std::string payload = at + props <= body.size() ? body.substr(at + props) : std::string();
    const auto j = json::parse(payload, nullptr, false);
    const bool ok_payload = j.is_object() && j.contains("id") && j["id"].is_string();
    if (!valid_topic(topic) || !ok_payload) {
      ++corrupt_;
      if (samples_.size() < 5) {
        samples_.push_back("link " + std::to_string(link) + " packet id " + std::to_string(pid) +
                           ((header & 0x08) != 0 ? " (DUP)" : "") + ": topic \"" + printable(topic, 48) +
                           "\" payload \"" + printable(payload, 48) + "\"");
      }
      return;
    }
    if (qos > 0) in_flight_[{link, pid}] = j["id"].get<std::string>();
  } else if (!from_client && type == 4) {
    const auto it = in_flight_.find({link, u16(0)});
    if (it == in_flight_.end()) return;
    acked_.insert(it->second);
    in_flight_.erase(it);
  }
}

std::set<std::string> MqttWatch::acked_ids() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acked_;
}

uint64_t MqttWatch::publishes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return publishes_;
}

uint64_t MqttWatch::corrupt() const {
  std::lock_guard<std::mutex> lock(mu_);
  return corrupt_;
}

std::vector<std::string> MqttWatch::corrupt_samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_;
}

Delivery account(const std::vector<Arrival>& arrivals) {
  Delivery d;
  for (const auto& a : arrivals) {
    if (a.id.empty()) continue;
    ++d.arrivals;
    auto [it, first] = d.first_payload.emplace(a.id, a.payload);
    if (first) continue;
    ++d.duplicates;
    if (a.dup) ++d.broker_redeliveries;
    if (it->second != a.payload) ++d.differing_copies;
  }
  d.distinct = d.first_payload.size();
  return d;
}

// ---- the example plugin's file -------------------------------------------------------

ExampleFile read_example_file(const std::filesystem::path& db_file) {
  ExampleFile out;
  sqlite3* db = nullptr;
  // Read-write so SQLite may recover the WAL a killed kazasud left; the test writes nothing.
  if (sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + db_file.string());
  }
  sqlite3_busy_timeout(db, 5000);
  auto rows = [&](const char* sql, const std::function<void(sqlite3_stmt*)>& each) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
      const std::string err = sqlite3_errmsg(db);
      sqlite3_close(db);
      throw std::runtime_error(std::string("reading the example file: ") + err);
    }
    while (sqlite3_step(st) == SQLITE_ROW) each(st);
    sqlite3_finalize(st);
  };
  auto text = [](sqlite3_stmt* st, int col) {
    const auto* p = sqlite3_column_text(st, col);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
  };
  // One read transaction: the ledger and the outbox as of one commit.
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  rows("SELECT token, taps FROM taps_per_token", [&](sqlite3_stmt* st) {
    out.taps_per_token[text(st, 0)] = sqlite3_column_int64(st, 1);
    out.committed += sqlite3_column_int64(st, 1);
  });
  rows("SELECT msg_id, payload FROM kazasu_outbox ORDER BY seq", [&](sqlite3_stmt* st) {
    out.outbox.push_back({text(st, 0), text(st, 1)});
  });
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return out;
}

LedgerCheck check_ledger(const ExampleFile& file, const std::vector<std::pair<std::string, std::string>>& outcomes) {
  LedgerCheck c;
  std::map<std::pair<std::string, int64_t>, std::set<std::string>> ids_of_entry;
  std::map<std::string, std::set<std::pair<std::string, int64_t>>> entries_of_id;
  for (const auto& [id, payload] : outcomes) {
    const auto j = json::parse(payload, nullptr, false);
    if (!j.is_object() || !j.contains("token") || !j.contains("taps")) continue;
    const std::pair<std::string, int64_t> entry{j["token"].get<std::string>(), j["taps"].get<int64_t>()};
    ids_of_entry[entry].insert(id);
    entries_of_id[id].insert(entry);
  }
  for (const auto& [token, taps] : file.taps_per_token) {
    c.entries += taps;
    for (int64_t n = 1; n <= taps; ++n) c.missing += ids_of_entry.count({token, n}) == 0 ? 1 : 0;
  }
  for (const auto& [entry, ids] : ids_of_entry) {
    const auto it = file.taps_per_token.find(entry.first);
    if (it == file.taps_per_token.end() || entry.second < 1 || entry.second > it->second) ++c.beyond;
    if (ids.size() > 1) ++c.entry_two_ids;
  }
  for (const auto& [id, entries] : entries_of_id) c.id_two_entries += entries.size() > 1 ? 1 : 0;
  return c;
}

std::string LedgerCheck::describe() const {
  return "ledger entries " + std::to_string(entries) + ", not delivered " + std::to_string(missing) +
         ", delivered but not in the ledger " + std::to_string(beyond) + ", entries with two tap ids " +
         std::to_string(entry_two_ids) + ", tap ids with two entries " + std::to_string(id_two_entries);
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace kazasu::faults
