// The APDU transport identifiers talk through. A subclass moves raw bytes
// (PC/SC, or a scripted fake in tests); this base adds what real middleware
// does on top (jpki.md §7.3): 61xx -> GET RESPONSE, 6Cxx -> resend with the
// Le the card asked for. It is also the privacy boundary: no command that
// would select the My Number EF of the text AP (jpki.md §3) ever leaves it.
#pragma once

#include <cstddef>

#include "core/result.hpp"
#include "identify/apdu.hpp"

namespace kazasu {

/** Reason of a read that failed on the transport (card removed, reader gone). */
inline constexpr const char* kReadFailed = "read_failed";

class CardChannel {
 public:
  CardChannel() = default;
  virtual ~CardChannel() = default;
  CardChannel(const CardChannel&) = delete;
  CardChannel& operator=(const CardChannel&) = delete;

  /** Sends one command and returns the whole response, chained responses joined. */
  Result<apdu::Response> transmit(const apdu::Bytes& command);

  /** True when the reader carries extended-length APDUs (Le above 256). */
  [[nodiscard]] virtual bool extended_length() const { return false; }
  /** Commands exchanged with the card so far, GET RESPONSEs and resends included. */
  [[nodiscard]] std::size_t apdu_count() const { return exchanged_; }

 protected:
  /** Sends raw bytes; returns the raw response (data + SW1 SW2) or an Error{kReadFailed}. */
  virtual Result<apdu::Bytes> exchange(const apdu::Bytes& command) = 0;

 private:
  Result<apdu::Response> exchange_once(const apdu::Bytes& command);
  [[nodiscard]] bool would_touch_my_number(const apdu::Bytes& command) const;
  void note_selection(const apdu::Bytes& command, const apdu::Response& response);

  std::size_t exchanged_ = 0;
  apdu::Bytes current_aid_;  // the last AID the card accepted
};

}  // namespace kazasu
