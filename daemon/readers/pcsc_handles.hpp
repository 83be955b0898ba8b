// RAII owners of libpcsclite handles (conventions.md) and the CardChannel
// that carries APDUs over an SCARDHANDLE. A context belongs to the one thread
// that established it (design.md "Concurrency rules"); only SCardCancel may be
// called on it from elsewhere.
#pragma once

#include <winscard.h>

#include <string>

#include "identify/card_channel.hpp"

namespace kazasu::pcsc {

std::string error_text(LONG rv);

/** Errors after which the context is dead: release it and establish a new one. */
bool service_lost(LONG rv);
/** Errors that mean the card went away during a command. */
bool card_gone(LONG rv);

class Context {
 public:
  Context() = default;
  ~Context() { release(); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  LONG establish();
  void release();
  [[nodiscard]] SCARDCONTEXT get() const { return ctx_; }
  [[nodiscard]] bool valid() const { return valid_; }

 private:
  SCARDCONTEXT ctx_ = 0;
  bool valid_ = false;
};

class Card {
 public:
  Card() = default;
  ~Card() { disconnect(SCARD_LEAVE_CARD); }
  Card(const Card&) = delete;
  Card& operator=(const Card&) = delete;

  LONG connect(const Context& ctx, const std::string& reader, DWORD share);
  void disconnect(DWORD disposition);
  [[nodiscard]] SCARDHANDLE get() const { return handle_; }
  [[nodiscard]] DWORD protocol() const { return protocol_; }

  /** The reader's dwMaxAPDUDataSize through PC/SC Part 10 properties; 0 when it does not say. */
  [[nodiscard]] DWORD max_apdu_data_size() const;

 private:
  SCARDHANDLE handle_ = 0;
  DWORD protocol_ = 0;
  bool connected_ = false;
};

class Channel : public CardChannel {
 public:
  Channel(const Card& card, bool extended) : card_(card), extended_(extended) {}
  [[nodiscard]] bool extended_length() const override { return extended_; }
  /** A transmit failed as if the card had left the reader (card_gone()). */
  [[nodiscard]] bool card_lost() const { return card_lost_; }

 protected:
  Result<apdu::Bytes> exchange(const apdu::Bytes& command) override;

 private:
  const Card& card_;
  bool extended_;
  bool card_lost_ = false;
};

}  // namespace kazasu::pcsc
