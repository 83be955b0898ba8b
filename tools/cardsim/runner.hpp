// `kazasu-cardsim run`: keeps one simulated card in one vpcd slot.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace kazasu::cardsim {

struct Fault {
  enum class Kind { kNone, kRemoveAfter, kCorruptAfter };
  Kind kind = Kind::kNone;
  std::uint64_t count = 0;
};

// "remove-after:N" / "corrupt-after:N"; throws std::invalid_argument otherwise.
Fault parse_fault(const std::string& text);

struct RunOptions {
  std::filesystem::path card_dir;
  std::string host = "127.0.0.1";
  std::uint16_t port = 35963;  // vpcd slot 0 (jpki.md §6)
  int delay_ms = 0;
  std::optional<std::filesystem::path> trace;
  std::optional<std::filesystem::path> stamps;
  Fault fault;
  std::optional<int> hold_ms;
  bool control = false;
  bool get_response = false;
};

// Returns the process exit code.
int run_simulator(const RunOptions& options);

}  // namespace kazasu::cardsim
