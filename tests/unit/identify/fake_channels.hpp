// Channels for identifier tests: a scripted one (exact commands in, canned
// responses out) and one backed by the in-process card model of kazasu-cardsim.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <utility>

#include "card.hpp"
#include "identify/card_channel.hpp"

namespace kazasu::test {

inline apdu::Bytes hex(const std::string& h) {
  apdu::Bytes out;
  std::string clean;
  for (char c : h) {
    if (c != ' ') clean.push_back(c);
  }
  EXPECT_TRUE(apdu::from_hex(clean, out)) << h;
  return out;
}

/** Expects exactly these commands, in order, and answers each with its response (data + SW). */
class ScriptedChannel : public CardChannel {
 public:
  void expect(const std::string& command, const std::string& response) {
    script_.emplace_back(hex(command), hex(response));
  }
  void fail_next() { fail_ = true; }
  void set_extended(bool e) { extended_ = e; }
  [[nodiscard]] bool extended_length() const override { return extended_; }
  [[nodiscard]] bool done() const { return script_.empty(); }

 protected:
  Result<apdu::Bytes> exchange(const apdu::Bytes& command) override {
    if (fail_) return Error{kReadFailed, "the card was removed during the read; tap it again"};
    if (script_.empty()) {
      ADD_FAILURE() << "unexpected command " << apdu::to_hex(command);
      return Error{kReadFailed, "script ended"};
    }
    auto [want, response] = script_.front();
    script_.pop_front();
    EXPECT_EQ(apdu::to_hex(want), apdu::to_hex(command));
    return response;
  }

 private:
  std::deque<std::pair<apdu::Bytes, apdu::Bytes>> script_;
  bool fail_ = false;
  bool extended_ = false;
};

/** The simulated card in-process; records every command; can pull the card after N commands. */
class SimCardChannel : public CardChannel {
 public:
  explicit SimCardChannel(cardsim::Card& card, bool extended = false) : card_(card), extended_(extended) {}
  [[nodiscard]] bool extended_length() const override { return extended_; }
  void remove_after(std::size_t n) { remove_after_ = n; }
  std::vector<apdu::Bytes> commands;

 protected:
  Result<apdu::Bytes> exchange(const apdu::Bytes& command) override {
    if (commands.size() >= remove_after_)
      return Error{kReadFailed, "the card was removed during the read; tap it again"};
    commands.push_back(command);
    const cardsim::ResponseApdu r = card_.process(command);
    apdu::Bytes out = r.data;
    out.push_back(static_cast<std::uint8_t>(r.sw >> 8));
    out.push_back(static_cast<std::uint8_t>(r.sw & 0xFF));
    return out;
  }

 private:
  cardsim::Card& card_;
  bool extended_;
  std::size_t remove_after_ = static_cast<std::size_t>(-1);
};

}  // namespace kazasu::test
