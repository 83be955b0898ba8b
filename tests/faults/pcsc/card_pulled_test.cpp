// Fault case: the card pulled away after the Nth APDU.
//
// Injects: kazasu-cardsim `--fault remove-after:N` answers N APDUs and then
// breaks its link to vpcd off (a TCP reset), which is how a card leaving the
// field looks to pcscd: the next SCardTransmit fails. One case per
// identification level (fast, verified, possession) for every N from 1 to the
// level's APDU count, and one for the basic-four read (the card-face input
// support AP with the holder's PIN) for every N over its APDUs. The count is
// not hard-coded: a whole tap with --trace first says how many APDUs the level
// takes, so a change in the APDU sequence is followed, not hidden.
//
// Compares, for each N: the tap ends with one outcome on MQTT (for N below the
// count: `read_failed` with a message, never an identity; for the basic four:
// the identity of the whole tap and basic_info `read_failed` without any
// basic four), kazasud still runs, the reader is `ready` again, and the next
// whole tap on the same reader is identified with the same token. The example
// plugin's per-token count must equal the number of identified taps, so no
// tap of a pulled card was counted under a partial identity. At the end:
// taps made = taps kazasud counted (`kazasuctl --json readers`) = outcomes
// delivered; lost = 0. Prints a table: level, pulled after APDU N, what
// kazasud reported.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "fault_station.hpp"

namespace kazasu::test::faults {
namespace {

using namespace std::chrono_literals;

// SELECT of the card-face input support AP (jpki.md §3): the basic-four read starts here.
constexpr const char* kSelectTextAp = "> 00A4040C0AD3921000310001010408";

// 1-based position of the first APDU of the basic-four read in a trace; 0 when absent.
int first_basic_four_apdu(const std::filesystem::path& trace) {
  std::ifstream in(trace);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("> ", 0) != 0) continue;
    ++n;
    if (line == kSelectTextAp) return n;
  }
  return 0;
}

std::string what_kazasud_reported(const TapSeen& s, bool basic_four) {
  std::ostringstream out;
  out << s.status;
  if (!s.message.empty()) out << " \"" << s.message << "\"";
  if (basic_four) out << "; basic_info " << s.basic_info_status << " \"" << s.basic_info_message << "\"";
  return out.str();
}

// `table_level` is what the table calls the case; `reader_level` the reader's jpki level.
void pull_after_each_apdu(const std::string& table_level, const std::string& reader_level, bool basic_four) {
  const ReaderSpec spec{"counter-1", kReader0, reader_level, basic_four};
  FaultStation st({spec});
  ASSERT_TRUE(st.wait_reader(spec.name, "ready", 15s)) << "counter-1 never became ready";
  const auto& card = valid_card();
  const bool unlocks = reader_level == "possession" || basic_four;  // kazasud powers the card off after
  auto arm = [&] {
    if (reader_level == "possession") st.arm_pin(spec.name, "auth");
    if (basic_four) st.arm_pin(spec.name, "basic_info");
  };

  // A whole tap first: the reference identity, and the level's APDU count.
  const auto trace = st.dir() / "whole.trace";
  arm();
  const auto whole = st.tap(spec, card, {"--trace", trace.string()});
  ASSERT_TRUE(whole);
  ASSERT_TRUE(whole->identified) << whole->status << ": " << whole->message;
  ASSERT_FALSE(whole->token.empty());
  if (basic_four) {
    ASSERT_EQ(whole->basic_info_status, "read") << whole->basic_info_message;
  }
  const std::string token = whole->token;
  EXPECT_EQ(read_file(trace).find("MY NUMBER"), std::string::npos) << "a read selected the My Number file";
  const int count = apdus_in_trace(trace);
  ASSERT_GT(count, 0);
  const int first = basic_four ? first_basic_four_apdu(trace) : 1;
  ASSERT_GT(first, 0) << "the whole tap never selected the card-face AP";
  report(table_level + "_apdus", count);
  if (basic_four) report(table_level + "_first_apdu", first);

  long long taps_made = 1;
  long long delivered = 1;
  long long identified = 1;
  long long read_errors = 0;
  std::vector<std::string> table;
  for (int n = first; n <= count; ++n) {
    SCOPED_TRACE("pulled after APDU " + std::to_string(n) + " of " + std::to_string(count));
    arm();
    const auto pulled = st.tap(spec, card, {"--fault", "remove-after:" + std::to_string(n)});
    ++taps_made;
    ASSERT_TRUE(st.alive()) << "kazasud died on a card pulled after APDU " << n << "\n" << st.log();
    ASSERT_TRUE(pulled) << "no outcome for the pulled card";
    ++delivered;
    const std::string row = table_level + " | " + std::to_string(n) + "/" + std::to_string(count) + " | " +
                            what_kazasud_reported(*pulled, basic_four);
    table.push_back(row);
    report(table_level + "_pulled_after_" + std::to_string(n), what_kazasud_reported(*pulled, basic_four));

    if (pulled->identified) {
      // Only the identity of the whole card, never one made of what was read so far.
      EXPECT_EQ(pulled->token, token) << "a pulled card was identified as someone else";
      EXPECT_EQ(pulled->taps_of_token, ++identified);
    }
    if (basic_four) {
      EXPECT_TRUE(pulled->identified) << "the identity was read whole before the basic four";
      if (n < count) {
        EXPECT_EQ(pulled->basic_info_status, "read_failed");
        EXPECT_FALSE(pulled->has_basic_info) << "a plugin got basic four from a card pulled mid-read";
        EXPECT_FALSE(pulled->basic_info_message.empty());
        ++read_errors;
      } else if (pulled->basic_info_status != "read") {
        EXPECT_EQ(pulled->basic_info_status, "read_failed");  // the last answer raced the pull
        EXPECT_FALSE(pulled->has_basic_info);
        ++read_errors;
      }
    } else if (n < count) {
      EXPECT_FALSE(pulled->identified) << "a card pulled after APDU " << n << " of " << count << " was identified";
      EXPECT_EQ(pulled->status, "read_failed");
      EXPECT_EQ(pulled->event, "refused");
      EXPECT_FALSE(pulled->message.empty()) << "a refusal without a reason";
      ++read_errors;
    } else if (!pulled->identified) {
      EXPECT_EQ(pulled->status, "read_failed");  // pulled after the last answer: whole, or a read error
      ++read_errors;
    }

    nlohmann::json r;
    EXPECT_TRUE(st.wait_reader(spec.name, "ready", 5s, &r)) << "counter-1 stayed " << r.dump();
    if (n == count && unlocks) {
      // Pulled after the last answer, the card is gone before kazasud logs it
      // out, and nothing told kazasud so: its SCardDisconnect(UNPOWER) fails
      // inside pcscd, which then calls the reader empty before its own
      // presence poll (every 400 ms for vpcd) has seen the card go, and a card
      // put on before that poll is never reported. That poll gives no sign a
      // client could wait for, so the next card comes after two poll periods.
      std::this_thread::sleep_for(1s);
    }

    // The next whole tap on the same reader works.
    arm();
    const auto next = st.tap(spec, card);
    ++taps_made;
    ASSERT_TRUE(next) << "no outcome for the whole tap after the pulled one";
    ++delivered;
    EXPECT_TRUE(next->identified) << next->status << ": " << next->message;
    EXPECT_EQ(next->token, token);
    EXPECT_EQ(next->taps_of_token, ++identified) << "the example plugin counted a tap it should not have";
    if (basic_four) {
      EXPECT_EQ(next->basic_info_status, "read") << next->basic_info_message;
    }
  }

  const nlohmann::json r = st.reader(spec.name);
  const long long counted = r.at("taps").get<long long>();
  report(table_level + "_taps_made", taps_made);
  report(table_level + "_taps_counted_by_kazasud", counted);
  report(table_level + "_outcomes_delivered", delivered);
  report(table_level + "_read_errors_reported", read_errors);
  report(table_level + "_identified", identified);
  report(table_level + "_lost", taps_made - delivered);
  std::cout << "[faults/pcsc] level | pulled after APDU | kazasud reported\n";
  for (const auto& row : table) std::cout << "[faults/pcsc] " << row << "\n";
  std::cout << std::flush;
  EXPECT_EQ(counted, taps_made);
  EXPECT_EQ(delivered, taps_made);
  EXPECT_TRUE(st.alive());
}

TEST(CardPulled, AfterEachApduOfFast) {
  pull_after_each_apdu("fast", "fast", false);
}

TEST(CardPulled, AfterEachApduOfVerified) {
  pull_after_each_apdu("verified", "verified", false);
}

TEST(CardPulled, AfterEachApduOfPossession) {
  pull_after_each_apdu("possession", "possession", false);
}

// The basic four are read after a `fast` identification; pulls during the
// identification are the fast case's.
TEST(CardPulled, AfterEachApduOfTheBasicFourRead) {
  pull_after_each_apdu("basic_four", "fast", true);
}

// A PIN armed for a card that was pulled before kazasud asked for it is
// dropped with that tap: the next card on the reader, someone else's, is
// asked for its own PIN and never sent the first holder's.
TEST(CardPulled, APinTypedForAPulledCardIsNeverTriedOnTheNextCard) {
  const ReaderSpec spec{"counter-1", kReader0, "possession", false};
  FaultStation st({spec});
  ASSERT_TRUE(st.wait_reader(spec.name, "ready", 15s));
  for (const std::string purpose : {"auth"}) {
    st.arm_pin(spec.name, purpose);
    const auto pulled = st.tap(spec, valid_card(), {"--fault", "remove-after:1"});
    ASSERT_TRUE(pulled);
    EXPECT_EQ(pulled->status, "read_failed");
    ASSERT_TRUE(st.wait_reader(spec.name, "ready", 5s));
    const auto trace = st.dir() / "next.trace";
    const auto next = st.tap(spec, valid_card(), {"--trace", trace.string()});
    ASSERT_TRUE(next);
    report("pin_left_from_a_pulled_card", next->status);
    EXPECT_EQ(next->status, "pin_required") << "the next card was tried with the pulled card's PIN";
    EXPECT_FALSE(next->identified);
    // Only the empty VERIFY that reads the tries left (Lc absent): no PIN went to the card.
    EXPECT_EQ(read_file(trace).find("> 0020008004"), std::string::npos) << read_file(trace);
  }
}

}  // namespace
}  // namespace kazasu::test::faults
