#include "outbox/storage_health.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "core/log.hpp"
#include "core/tick.hpp"

namespace kazasu {

const char* to_string(StorageHealth::State s) {
  switch (s) {
    case StorageHealth::State::ok:
      return "ok";
    case StorageHealth::State::low:
      return "low";
    case StorageHealth::State::unavailable:
      return "unavailable";
  }
  return "unavailable";
}

namespace {
constexpr uint64_t kMiB = uint64_t{1024} * 1024;
constexpr uint64_t kMinFreeToRecover = kMiB;

std::string mib(uint64_t bytes) {
  return std::to_string(bytes / kMiB) + " MiB";
}
}  // namespace

StorageHealth::StorageHealth(boost::asio::io_context& io, std::filesystem::path dir, uint64_t alarm_free_bytes,
                             Probe probe, Report report)
    : timer_(io),
      dir_(std::move(dir)),
      alarm_free_bytes_(alarm_free_bytes),
      probe_(std::move(probe)),
      report_(std::move(report)) {
  check();
  arm();
}

void StorageHealth::arm() {
  timer_.expires_at(tick::next(std::chrono::seconds(1)));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    check();
    arm();
  });
}

StorageHealth::State StorageHealth::space_state() const {
  return free_bytes_ < alarm_free_bytes_ ? State::low : State::ok;
}

void StorageHealth::check() {
  struct statvfs vfs {};
  if (::statvfs(dir_.c_str(), &vfs) == 0) {
    // f_bavail: what an unprivileged writer such as the service user may still use.
    free_bytes_ = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  } else {
    log::warning("cannot read the free space of the data directory", "dir", dir_.string(), "error",
                 std::strerror(errno));
  }
  if (state_ == State::unavailable) {
    // A write of a page or two may fit where a tap's commit did not, so the
    // probe only counts once there is room for more than that.
    if (free_bytes_ < kMinFreeToRecover) return;
    if (auto error = probe_()) {
      last_failure_ = *error;
      return;
    }
    set(space_state(), "the data directory takes writes again; taps are recorded (" + mib(free_bytes_) + " free)");
    return;
  }
  const State now = space_state();
  if (now == state_) return;
  set(now, now == State::low ? "only " + mib(free_bytes_) + " free in " + dir_.string() + " (alarm below " +
                                   mib(alarm_free_bytes_) + "); free space before taps can no longer be recorded"
                             : mib(free_bytes_) + " free in " + dir_.string() + "; back above the alarm level");
}

void StorageHealth::commit_failed(const std::string& detail) {
  last_failure_ = detail;
  if (state_ == State::unavailable) return;
  set(State::unavailable, "kazasud cannot write to " + dir_.string() + " (" + detail +
                              "); taps are answered storage_unavailable and not recorded until it can");
}

void StorageHealth::commit_succeeded() {
  if (state_ != State::unavailable) return;
  set(space_state(), "the data directory takes writes again; taps are recorded");
}

void StorageHealth::set(State s, const std::string& message) {
  const State before = state_;
  state_ = s;
  if (s == State::unavailable) {
    log::error("storage unavailable", "dir", dir_.string(), "detail", last_failure_);
  } else if (s == State::low) {
    log::warning("storage low", "dir", dir_.string(), "free_mib", free_bytes_ / kMiB, "alarm_mib",
                 alarm_free_bytes_ / kMiB);
  } else {
    log::notice("storage ok", "dir", dir_.string(), "free_mib", free_bytes_ / kMiB, "was", to_string(before));
  }
  report_(s, message);
}

}  // namespace kazasu
