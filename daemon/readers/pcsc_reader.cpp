#include "readers/pcsc_reader.hpp"

#include <pthread.h>
#include <reader.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstring>
#include <vector>

#include "core/clock.hpp"
#include "core/log.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;

constexpr char kPnpReader[] = "\\\\?PnP?\\Notification";
// An idle reader waits this long in one SCardGetStatusChange: each call costs
// libpcsclite several round trips to pcscd (about five wake-ups), so a 1 s
// slice kept every idle worker waking five times a second. Card and reader
// events end the wait at once, stop() ends it with SCardCancel, and pcscd
// going away ends it with an error; the timeout only bounds how long the
// watchdog trusts a worker that is inside the wait (last_progress_ns()).
constexpr DWORD kWatchSliceMs = 60000;
constexpr int64_t kWatchSliceNs = int64_t{kWatchSliceMs} * 1000000;
// How often stop() repeats SCardCancel until the worker has left: a cancel
// that lands before the worker enters its wait does nothing.
constexpr auto kCancelRetry = 20ms;
// Re-establish back-off: 100 ms doubling, capped at 1 s so readers are ready
// again within a second of pcscd's return (issue: within 5 s).
constexpr auto kFirstBackoff = 100ms;
constexpr auto kMaxBackoff = 1000ms;
// PC/SC short APDUs carry 256 bytes of response; above that the reader takes extended ones.
constexpr DWORD kShortApduData = 256;
// ACS-style escape pseudo-APDUs (FF 00 40 ...): LED and buzzer. Readers without
// them refuse the escape and the feedback is a no-op (docs/identify.md).
constexpr DWORD kIoctlEscape = SCARD_CTL_CODE(3500);
constexpr unsigned char kFeedbackOk[] = {0xFF, 0x00, 0x40, 0xA8, 0x04, 0x01, 0x01, 0x01, 0x01};
constexpr unsigned char kFeedbackFail[] = {0xFF, 0x00, 0x40, 0x54, 0x04, 0x02, 0x02, 0x02, 0x01};

bool reader_missing(LONG rv) {
  return rv == SCARD_E_UNKNOWN_READER || rv == SCARD_E_NO_READERS_AVAILABLE;
}

// How long a read that lost its card waits for pcscd to see the card gone:
// more than one presence poll (vpcd is polled every 400 ms; a CCID reader
// reports a removal at once).
constexpr auto kCardLeftWait = 1000ms;

/** True when pcscd reports `reader` empty now or within kCardLeftWait. */
bool card_left(const pcsc::Context& ctx, const std::string& reader) {
  SCARD_READERSTATE rs{};
  rs.szReader = reader.c_str();
  rs.dwCurrentState = SCARD_STATE_UNAWARE;
  const auto deadline = std::chrono::steady_clock::now() + kCardLeftWait;
  DWORD timeout = 0;
  while (true) {
    if (SCardGetStatusChange(ctx.get(), timeout, &rs, 1) != SCARD_S_SUCCESS) return false;
    if ((rs.dwEventState & SCARD_STATE_EMPTY) != 0) return true;
    rs.dwCurrentState = rs.dwEventState & ~SCARD_STATE_CHANGED;
    const auto rest =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (rest.count() <= 0) return false;
    timeout = static_cast<DWORD>(rest.count());
  }
}

}  // namespace

PcscReader::PcscReader(boost::asio::io_context& io, ReaderConfig cfg, IdentifierChain chain, PinSource* pins,
                       std::optional<BasicFourOptions> basic_four)
    : io_(io), cfg_(std::move(cfg)), chain_(std::move(chain)), pins_(pins), basic_four_(std::move(basic_four)) {
  if (pins_ == nullptr) basic_four_.reset();
}

PcscReader::~PcscReader() {
  stop();
}

void PcscReader::start(ReadSink on_read, StateSink on_state) {
  on_read_ = std::move(on_read);
  on_state_ = std::move(on_state);
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
    finished_ = false;
  }
  worker_ = std::thread([this] {
    // Named for top, perf and bench/footprint: "pcsc:" and the reader's name, cut to the kernel's 15 bytes.
    ::pthread_setname_np(::pthread_self(), ("pcsc:" + cfg_.name).substr(0, 15).c_str());
    run();
    std::lock_guard lock(mutex_);
    finished_ = true;
    wake_.notify_all();
  });
}

void PcscReader::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (pins_ != nullptr) pins_->wake_all();
  if (!worker_.joinable()) return;
  {
    // The worker may be between its look at stopping_ and SCardGetStatusChange,
    // where a cancel is lost; with a long wait, cancel until it has left.
    std::unique_lock lock(mutex_);
    while (!finished_) {
      // SCardCancel is the one call allowed on another thread's context.
      if (blocking_valid_) SCardCancel(blocking_ctx_);
      wake_.wait_for(lock, kCancelRetry, [this] { return finished_; });
    }
  }
  worker_.join();
}

int64_t PcscReader::last_progress_ns() const {
  // Inside a status-change wait the worker is healthy until the wait's own
  // timeout: a stuck wait shows once it has overrun that by the watchdog's limit.
  const int64_t until = waiting_until_ns_.load(std::memory_order_relaxed);
  if (until != 0) return std::min(clock::monotonic_ns(), until);
  return progress_ns_.load(std::memory_order_relaxed);
}

LONG PcscReader::wait_for_change(const pcsc::Context& ctx, SCARD_READERSTATE& state) {
  const int64_t now = clock::monotonic_ns();
  progress_ns_.store(now, std::memory_order_relaxed);
  waiting_until_ns_.store(now + kWatchSliceNs, std::memory_order_relaxed);
  const LONG rv = SCardGetStatusChange(ctx.get(), kWatchSliceMs, &state, 1);
  waiting_until_ns_.store(0, std::memory_order_relaxed);
  progress_ns_.store(clock::monotonic_ns(), std::memory_order_relaxed);
  return rv;
}

void PcscReader::publish_context(SCARDCONTEXT ctx, bool valid) {
  std::lock_guard lock(mutex_);
  blocking_ctx_ = ctx;
  blocking_valid_ = valid;
}

bool PcscReader::pause(std::chrono::milliseconds d) {
  progress_ns_.store(clock::monotonic_ns(), std::memory_order_relaxed);
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stopping_; });
}

void PcscReader::set_state(ReaderState state, const std::string& detail) {
  if (state_sent_ && state == last_state_ && detail == last_detail_) return;
  state_sent_ = true;
  last_state_ = state;
  last_detail_ = detail;
  boost::asio::post(io_, [this, state, detail] { on_state_(cfg_.name, state, detail); });
}

void PcscReader::run() {
  auto backoff = kFirstBackoff;
  while (pause(0ms)) {
    pcsc::Context ctx;
    const LONG rv = ctx.establish();
    if (rv != SCARD_S_SUCCESS) {
      set_state(ReaderState::error, "PC/SC service unavailable: " + pcsc::error_text(rv));
      if (!pause(backoff)) break;
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
      continue;
    }
    backoff = kFirstBackoff;
    publish_context(ctx.get(), true);
    const Outcome out = serve(ctx);
    publish_context(0, false);
    ctx.release();
    if (out == Outcome::stopping) break;
    set_state(ReaderState::error, "PC/SC service lost; reconnecting");
    log::warning("PC/SC service lost; re-establishing", "reader", cfg_.name);
    if (!pause(backoff)) break;
  }
}

LONG PcscReader::find_reader(const pcsc::Context& ctx, std::string& found) const {
  found.clear();
  DWORD len = 0;
  LONG rv = SCardListReaders(ctx.get(), nullptr, nullptr, &len);
  if (rv == SCARD_E_NO_READERS_AVAILABLE) return SCARD_S_SUCCESS;
  if (rv != SCARD_S_SUCCESS) return rv;
  std::vector<char> names(len);
  rv = SCardListReaders(ctx.get(), nullptr, names.data(), &len);
  if (rv == SCARD_E_NO_READERS_AVAILABLE) return SCARD_S_SUCCESS;
  if (rv != SCARD_S_SUCCESS) return rv;
  // Exact name first, then the first reader whose name starts with it: pcscd
  // appends slot numbers ("... 00 00") that change with the USB port.
  std::string prefix_match;
  for (const char* p = names.data(); p < names.data() + len && *p != '\0'; p += std::strlen(p) + 1) {
    const std::string name(p);
    if (name == cfg_.pcsc_reader) {
      found = name;
      return SCARD_S_SUCCESS;
    }
    if (prefix_match.empty() && name.rfind(cfg_.pcsc_reader, 0) == 0) prefix_match = name;
  }
  found = prefix_match;
  return SCARD_S_SUCCESS;
}

PcscReader::Outcome PcscReader::serve(pcsc::Context& ctx) {
  SCARD_READERSTATE pnp{};
  pnp.szReader = kPnpReader;
  pnp.dwCurrentState = SCARD_STATE_UNAWARE;
  while (pause(0ms)) {
    std::string reader;
    const LONG rv = find_reader(ctx, reader);
    if (rv != SCARD_S_SUCCESS) return Outcome::service_lost;
    if (!reader.empty()) {
      const Outcome out = watch(ctx, reader);
      if (out != Outcome::reader_gone) return out;
      log::notice("reader disconnected", "reader", cfg_.name);
      continue;
    }
    set_state(ReaderState::error, "reader not connected");
    const LONG wait = wait_for_change(ctx, pnp);
    if (wait == SCARD_S_SUCCESS)
      pnp.dwCurrentState = pnp.dwEventState & ~SCARD_STATE_CHANGED;
    else if (pcsc::service_lost(wait))
      return Outcome::service_lost;
  }
  return Outcome::stopping;
}

PcscReader::Outcome PcscReader::watch(pcsc::Context& ctx, const std::string& reader) {
  SCARD_READERSTATE rs{};
  rs.szReader = reader.c_str();
  rs.dwCurrentState = SCARD_STATE_UNAWARE;
  extended_ = -1;
  bool tapped = false;
  DWORD tapped_count = 0;
  while (pause(0ms)) {
    const LONG rv = wait_for_change(ctx, rs);
    if (rv == SCARD_E_TIMEOUT || rv == SCARD_E_CANCELLED) continue;
    if (reader_missing(rv)) return Outcome::reader_gone;
    if (rv != SCARD_S_SUCCESS) return Outcome::service_lost;
    const DWORD ev = rs.dwEventState;
    rs.dwCurrentState = ev & ~SCARD_STATE_CHANGED;
    if ((ev & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE)) != 0) return Outcome::reader_gone;
    if ((ev & SCARD_STATE_UNAVAILABLE) != 0) {
      set_state(ReaderState::error, "reader unavailable");
      continue;
    }
    // pcsclite keeps a card event counter in the high word: a card pulled and
    // put back between two waits is a new card even though PRESENT never dropped.
    const DWORD count = ev >> 16;
    if ((ev & SCARD_STATE_PRESENT) != 0) {
      if (tapped && count == tapped_count) continue;  // still the same card: one tap, not a stream
      const int64_t detected_ns = clock::monotonic_ns();
      const int64_t detected_ms = clock::now_unix_ms();
      set_state(ReaderState::card_present, "");
      tapped = true;
      tapped_count = count;
      read_card(ctx, reader, detected_ns, detected_ms);
    } else if ((ev & SCARD_STATE_EMPTY) != 0) {
      tapped = false;
      set_state(ReaderState::ready, "");
    }
  }
  return Outcome::stopping;
}

void PcscReader::read_card(const pcsc::Context& ctx, const std::string& reader, int64_t detected_ns,
                           int64_t detected_ms) {
  CardRead read;
  read.reader = cfg_.name;
  read.detected_unix_ms = detected_ms;
  read.times.detected_ns = detected_ns;
  // A card-face PIN verified for the basic four opens the My Number file for
  // the card's session as well: power off after, like an unlocked key.
  const bool unlocks = chain_.unlocks_keys() || basic_four_.has_value();
  size_t apdus = 0;
  {
    pcsc::Card card;
    // Exclusive while a PIN may unlock the key, so no other process can use
    // it (jpki.md §7.7); powered off after, which logs the card out.
    const LONG rv = card.connect(ctx, reader, unlocks ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED);
    if (rv != SCARD_S_SUCCESS) {
      read.identity = Error{kReadFailed, pcsc::card_gone(rv) ? "the card was removed before it could be read"
                                                             : "cannot connect to the card: " + pcsc::error_text(rv)};
      if (basic_four_) not_read_basic_four(read);
    } else {
      if (extended_ < 0) extended_ = card.max_apdu_data_size() > kShortApduData ? 1 : 0;
      pcsc::Channel channel(card, extended_ == 1);
      read.identity = chain_.identify(channel);
      if (basic_four_) {
        if (read.identity) {
          read.basic_info = read_basic_four(channel, *pins_, *basic_four_);
        } else {
          not_read_basic_four(read);
        }
      }
      apdus = channel.apdu_count();
      if (cfg_.feedback) give_feedback(card, read.identity.ok());
      // A card that left the field lost its power, and with it any PIN it had
      // verified: there is nothing to log out. Powering it off anyway makes
      // pcscd mark the reader empty before its own presence poll has seen the
      // card go (the failed power-down sets the state), so that poll never
      // reports a change and a card put back meanwhile is never read: a lost
      // tap (tests/faults/pcsc). So ask pcscd whether the card is gone first.
      const bool left = unlocks && channel.card_lost() && card_left(ctx, reader);
      card.disconnect(unlocks && !left ? SCARD_UNPOWER_CARD : SCARD_LEAVE_CARD);
    }
  }
  // A PIN is typed for one tap. Whatever this read left armed (the card was
  // pulled before kazasud asked for it, or it was never needed) would
  // otherwise be tried on the next card put on this reader, someone else's,
  // costing that card a try.
  if (unlocks && pins_ != nullptr) {
    pins_->discard(cfg_.name, PinPurpose::auth);
    pins_->discard(cfg_.name, PinPurpose::basic_info);
  }
  read.times.identified_ns = clock::monotonic_ns();
  const double ms = static_cast<double>(read.times.identified_ns - detected_ns) / 1e6;
  // Never the identity itself: only its kind and the outcome (conventions.md "Logs").
  log::debug("card read", "reader", cfg_.name, "status", read.identity ? "ok" : read.identity.error().reason.c_str(),
             "apdus", apdus, "ms", ms);
  boost::asio::post(io_, [this, r = std::move(read)]() mutable { on_read_(std::move(r)); });
}

void PcscReader::not_read_basic_four(CardRead& read) {
  pins_->discard(cfg_.name, PinPurpose::basic_info);  // typed for this card, not the next
  read.basic_info = {kBasicInfoNotAvailable, "the card was not identified, so its basic four were not read", nullptr};
}

void PcscReader::give_feedback(const pcsc::Card& card, bool ok) {
  const unsigned char* cmd = ok ? kFeedbackOk : kFeedbackFail;
  unsigned char out[16];
  DWORD len = 0;
  const LONG rv = SCardControl(card.get(), kIoctlEscape, cmd, sizeof kFeedbackOk, out, sizeof out, &len);
  if (rv != SCARD_S_SUCCESS && !feedback_warned_) {
    feedback_warned_ = true;
    log::info("reader gives no beep/LED feedback; continuing without it", "reader", cfg_.name, "error",
              pcsc::error_text(rv));
  }
}

}  // namespace kazasu
