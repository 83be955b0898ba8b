// The simulated chip: security state, current selection and APDU dispatch.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "apdu.hpp"
#include "card_model.hpp"

namespace kazasu::cardsim {

struct CardOptions {
  // T=0 style answers: 61xx + GET RESPONSE for case-4 data, 6Cxx for a wrong short Le on
  // case 2. Off by default because the real card over T=1 answers directly (jpki.md §7.4).
  bool get_response_mode = false;
};

class Card {
 public:
  using EventSink = std::function<void(const std::string& event)>;
  using PinObserver = std::function<void(const std::string& pin_name, int remaining)>;

  Card(CardModel model, CardOptions options = {});

  const Bytes& atr() const { return model_.atr; }
  ResponseApdu process(const Bytes& raw);

  // vpcd control bytes (jpki.md §6): power off ends the security state, a warm reset
  // only drops the selection (§2.4, §7.7).
  void power_on();
  void power_off();
  void warm_reset();

  void set_event_sink(EventSink sink) { event_sink_ = std::move(sink); }
  void set_pin_observer(PinObserver observer) { pin_observer_ = std::move(observer); }

  // For tests and state persistence.
  const PinCounter* find_pin(const std::string& app, std::uint16_t fid) const;

 private:
  enum class Kind { kNone, kEf, kPin, kKey };
  struct Selection {
    Kind kind = Kind::kNone;
    std::uint16_t fid = 0;
  };

  ResponseApdu dispatch(const CommandApdu& apdu);
  ResponseApdu select(const CommandApdu& apdu);
  ResponseApdu select_ef(std::uint16_t fid);
  ResponseApdu read_binary(const CommandApdu& apdu);
  ResponseApdu verify(const CommandApdu& apdu);
  ResponseApdu compute_signature(const CommandApdu& apdu);
  ResponseApdu get_data(const CommandApdu& apdu);
  ResponseApdu get_uid(const CommandApdu& apdu);
  ResponseApdu get_response(const CommandApdu& apdu);
  ResponseApdu apply_get_response_mode(const CommandApdu& apdu, ResponseApdu response);

  Application* current_app();
  bool pin_verified(std::uint16_t pin_fid);
  void emit(const std::string& event);
  void clear_selection();

  CardModel model_;
  CardOptions options_;
  std::optional<std::size_t> current_app_;
  Selection current_;
  Bytes pending_response_;  // GET RESPONSE mode only
  EventSink event_sink_;
  PinObserver pin_observer_;
};

}  // namespace kazasu::cardsim
