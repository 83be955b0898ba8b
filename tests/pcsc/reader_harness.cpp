#include "reader_harness.hpp"

#include <map>

namespace kazasu::test {
namespace fs = std::filesystem;

ReaderHarness::ReaderHarness(const ReaderConfig& rc, const IdentifyConfig& ic, PinSource* pins)
    : guard_(io_.get_executor()) {
  std::shared_ptr<const TrustStore> trust;
  if (!ic.trust_anchors.empty()) trust = TrustStore::load(ic.trust_anchors);
  reader_ = std::make_unique<PcscReader>(io_, rc, make_identifier_chain(rc, ic, trust, pins), pins);
  reader_->start(
      [this](CardRead r) {
        std::lock_guard lock(mutex_);
        reads_.push_back(std::move(r));
        cv_.notify_all();
        return std::string("tap-") + std::to_string(reads_.size());
      },
      [this](const std::string&, ReaderState s, const std::string& detail) {
        std::lock_guard lock(mutex_);
        states_.emplace_back(s, detail);
        cv_.notify_all();
      });
  io_thread_ = std::thread([this] { io_.run(); });
}

ReaderHarness::~ReaderHarness() {
  reader_->stop();
  guard_.reset();
  io_.stop();
  io_thread_.join();
}

std::optional<CardRead> ReaderHarness::next_read(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!cv_.wait_for(lock, timeout, [this] { return reads_.size() > taken_; })) return std::nullopt;
  return reads_[taken_++];
}

bool ReaderHarness::wait_state(ReaderState state, std::chrono::milliseconds timeout, const std::string& detail) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] {
    return !states_.empty() && states_.back().first == state && states_.back().second.find(detail) != std::string::npos;
  });
}

std::size_t ReaderHarness::read_count() {
  std::lock_guard lock(mutex_);
  return reads_.size() - skipped_;
}

void ReaderHarness::skip_pending() {
  std::lock_guard lock(mutex_);
  taken_ = reads_.size();
  skipped_ = reads_.size();
}

std::vector<std::pair<ReaderState, std::string>> ReaderHarness::states() {
  std::lock_guard lock(mutex_);
  return states_;
}

bool settle(ReaderHarness& h, const VirtualReader& vr) {
  using namespace std::chrono_literals;
  // pcscd notices an earlier test's card leaving up to 400 ms late.
  if (!wait_for_card(vr.name, false, 5s)) return false;
  if (!h.wait_state(ReaderState::ready, 10s)) return false;
  h.skip_pending();
  return true;
}

namespace {
// The cards of this test process, made once and removed at its exit.
const fs::path& work_dir() {
  static const TempDir dir;
  return dir.path();
}
}  // namespace

fs::path trust_anchor() {
  const fs::path ca = work_dir() / "ca";
  if (!fs::exists(ca / "auth_ca_cert.pem")) {
    if (run_cardsim_tool({"make-ca", "--out", ca.string()}) != 0) throw std::runtime_error("make-ca failed");
  }
  return ca / "auth_ca_cert.pem";
}

fs::path card(const std::string& variant, const std::vector<std::string>& extra) {
  static std::map<std::string, fs::path> made;
  std::string key = variant;
  for (const auto& e : extra) key += "_" + e;
  if (auto it = made.find(key); it != made.end()) return it->second;
  const fs::path out = work_dir() / ("card-" + std::to_string(made.size()));
  std::vector<std::string> args = {"make-card", "--ca", trust_anchor().parent_path().string(), "--out", out.string(),
                                   "--variant", variant};
  args.insert(args.end(), extra.begin(), extra.end());
  if (run_cardsim_tool(args) != 0) throw std::runtime_error("make-card " + variant + " failed");
  made[key] = out;
  return out;
}

fs::path trace_dir() {
  const fs::path d = KAZASU_PCSC_TRACE_DIR;
  fs::create_directories(d);
  return d;
}

fs::path trace_file(const std::string& test_name) {
  return trace_dir() / (test_name + ".trace");
}

ReaderConfig reader_config(const VirtualReader& vr, const std::string& level, std::vector<std::string> accept) {
  ReaderConfig rc;
  rc.name = "counter-1";
  rc.driver = "pcsc";
  rc.pcsc_reader = vr.name;
  rc.level = level;
  rc.accept = std::move(accept);
  return rc;
}

IdentifyConfig identify_config(int pin_timeout_ms) {
  IdentifyConfig ic;
  ic.trust_anchors = {trust_anchor()};
  ic.freearea_aid = {0xF0, 0x4B, 0x41, 0x5A, 0x41, 0x53, 0x55, 0x01};  // cardsim default (docs/cardsim.md)
  ic.freearea_ef = 0x0001;
  ic.freearea_tag = {0x80};
  ic.pin_timeout_ms = pin_timeout_ms;
  return ic;
}

}  // namespace kazasu::test
