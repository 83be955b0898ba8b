// A PcscReader on its own io_context thread, recording what it reports, plus
// the cards the suite taps (generated once per process by kazasu-cardsim).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "identify/identifier_chain.hpp"
#include "pcsc_fixture.hpp"
#include "readers/pcsc_reader.hpp"

namespace kazasu::test {

class ReaderHarness {
 public:
  ReaderHarness(const ReaderConfig& rc, const IdentifyConfig& ic, PinSource* pins = nullptr);
  ~ReaderHarness();

  /** The next read reported, in order; nullopt on timeout. */
  std::optional<CardRead> next_read(std::chrono::milliseconds timeout);
  /** Waits until the latest reported state is `state` (and its detail contains `detail`). */
  bool wait_state(ReaderState state, std::chrono::milliseconds timeout, const std::string& detail = "");
  /** Reads reported since the last skip_pending(). */
  std::size_t read_count();
  /** Forgets reads reported so far (a card of an earlier test still leaving the reader). */
  void skip_pending();
  std::vector<std::pair<ReaderState, std::string>> states();

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::unique_ptr<PcscReader> reader_;
  std::thread io_thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<CardRead> reads_;
  std::size_t taken_ = 0;
  std::size_t skipped_ = 0;
  std::vector<std::pair<ReaderState, std::string>> states_;
};

/** Waits until `vr` holds no card and the harness is ready, then forgets stale reads. */
bool settle(ReaderHarness& h, const VirtualReader& vr);

/** A card directory of this variant (make-card), made once per process. */
std::filesystem::path card(const std::string& variant, const std::vector<std::string>& extra = {});
/** The test CA's auth root, the suite's trust anchor. */
std::filesystem::path trust_anchor();
/** Where every test of the suite appends its APDU traces (read by the privacy test). */
std::filesystem::path trace_file(const std::string& test_name);
std::filesystem::path trace_dir();

ReaderConfig reader_config(const VirtualReader& vr, const std::string& level, std::vector<std::string> accept);
IdentifyConfig identify_config(int pin_timeout_ms = 2000);

}  // namespace kazasu::test
