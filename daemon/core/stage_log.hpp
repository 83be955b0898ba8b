// Per-message stage timings (detected -> identified -> plugins done ->
// committed -> acknowledged), logged at debug level and, when
// [diagnostics] stage_log names a file, appended there as CSV for bench/.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "core/tap.hpp"

namespace kazasu {

class StageLog {
 public:
  explicit StageLog(const std::filesystem::path& file);
  /** Records one acknowledged message. */
  void record(const std::string& msg_id, const std::string& topic, const StageTimes& t);

 private:
  std::ofstream out_;
};

}  // namespace kazasu
