// The `pcsc` driver: one configured reader on libpcsclite. A worker thread
// with its own SCARDCONTEXT blocks in SCardGetStatusChange; on a card it
// connects, runs the reader's identifier chain, disconnects, and posts one
// CardRead onto the io_context. A card left on the reader is one tap. The
// worker survives pcscd going away (reader -> error, context re-established
// with back-off) and readers coming and going (\\?PnP?\Notification).
#pragma once

#include <winscard.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "config/config.hpp"
#include "identify/basic_four_reader.hpp"
#include "identify/identifier_chain.hpp"
#include "readers/pcsc_handles.hpp"
#include "readers/reader_driver.hpp"

namespace kazasu {

class PcscReader : public ReaderDriver {
 public:
  /**
   * `pins` (may be null) is woken on stop so a read waiting for a PIN ends.
   * With `basic_four` (needs `pins`), an identified card's basic four are
   * read too, for the reader's plugins granted card.basic_info.
   */
  PcscReader(boost::asio::io_context& io, ReaderConfig cfg, IdentifierChain chain, PinSource* pins,
             std::optional<BasicFourOptions> basic_four = std::nullopt);
  ~PcscReader() override;

  [[nodiscard]] const std::string& name() const override { return cfg_.name; }
  [[nodiscard]] const char* driver() const override { return "pcsc"; }
  void start(ReadSink on_read, StateSink on_state) override;
  void stop() override;

 private:
  enum class Outcome { stopping, service_lost, reader_gone };

  void run();
  Outcome serve(pcsc::Context& ctx);
  Outcome watch(pcsc::Context& ctx, const std::string& reader);
  LONG find_reader(const pcsc::Context& ctx, std::string& found) const;
  void read_card(const pcsc::Context& ctx, const std::string& reader, int64_t detected_ns, int64_t detected_ms);
  void not_read_basic_four(CardRead& read);
  void give_feedback(const pcsc::Card& card, bool ok);
  void set_state(ReaderState state, const std::string& detail);
  /** Sleeps unless stopping; false when stop() was called. */
  bool pause(std::chrono::milliseconds d);
  /** SCardGetStatusChange on one reader state, marked as a wait the watchdog trusts. */
  LONG wait_for_change(const pcsc::Context& ctx, SCARD_READERSTATE& state);

 public:
  [[nodiscard]] int64_t last_progress_ns() const override;

 private:
  void publish_context(SCARDCONTEXT ctx, bool valid);

  boost::asio::io_context& io_;
  ReaderConfig cfg_;
  IdentifierChain chain_;
  PinSource* pins_;
  std::optional<BasicFourOptions> basic_four_;
  ReadSink on_read_;
  StateSink on_state_;
  std::thread worker_;

  // Every turn of the worker's loop passes pause(): the watchdog's proof of life.
  std::atomic<int64_t> progress_ns_{0};
  // While the worker waits in SCardGetStatusChange: when that wait times out (monotonic ns), else 0.
  std::atomic<int64_t> waiting_until_ns_{0};
  std::mutex mutex_;  // guards stopping_, finished_ and the context handle stop() cancels
  std::condition_variable wake_;
  bool stopping_ = false;
  bool finished_ = true;  // the worker has left run()
  SCARDCONTEXT blocking_ctx_ = 0;
  bool blocking_valid_ = false;

  // Worker-thread only.
  ReaderState last_state_ = ReaderState::error;
  std::string last_detail_;
  bool state_sent_ = false;
  int extended_ = -1;  // -1 unknown, else whether the reader carries extended APDUs
  bool feedback_warned_ = false;
};

}  // namespace kazasu
