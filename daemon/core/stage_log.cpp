#include "core/stage_log.hpp"

#include "core/log.hpp"

namespace kazasu {
namespace {
// Microseconds between two stages, or -1 when either was not recorded (a
// message loaded from the outbox after a restart has no timings).
int64_t us(int64_t from_ns, int64_t to_ns) {
  return (from_ns == 0 || to_ns == 0) ? -1 : (to_ns - from_ns) / 1000;
}
}  // namespace

StageLog::StageLog(const std::filesystem::path& file) {
  if (file.empty()) return;
  const bool fresh = !std::filesystem::exists(file);
  out_.open(file, std::ios::app);
  if (!out_) {
    log::warning("cannot open stage log", "file", file.string());
    return;
  }
  // detected_ns (CLOCK_MONOTONIC at detection, 0 when unknown) lets bench/tap align a
  // row with the card simulator's APDU stamps and a subscriber's arrival time.
  if (fresh) out_ << "id,topic,identify_us,plugins_us,commit_us,ack_us,total_us,detected_ns\n";
}

void StageLog::record(const std::string& msg_id, const std::string& topic, const StageTimes& t) {
  const int64_t identify = us(t.detected_ns, t.identified_ns);
  const int64_t plugins = us(t.identified_ns, t.plugins_done_ns);
  const int64_t commit = us(t.plugins_done_ns, t.committed_ns);
  const int64_t ack = us(t.committed_ns, t.acked_ns);
  const int64_t total = us(t.detected_ns, t.acked_ns);
  log::debug("message acknowledged", "id", msg_id, "topic", topic, "identify_us", identify, "plugins_us", plugins,
             "commit_us", commit, "ack_us", ack, "total_us", total);
  if (out_.is_open()) {
    out_ << msg_id << ',' << topic << ',' << identify << ',' << plugins << ',' << commit << ',' << ack << ',' << total
         << ',' << t.detected_ns << '\n';
    out_.flush();
  }
}

}  // namespace kazasu
