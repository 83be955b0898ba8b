// The journal side of the log: field names systemd accepts, and journal mode
// only when stderr really is the journal stream. Broker failures in words.
#include <gtest/gtest.h>

#include "core/log.hpp"
#include "mqtt/broker_errors.hpp"

namespace kazasu {
namespace {

TEST(LogJournal, KeysBecomeFieldNamesTheJournalAccepts) {
  EXPECT_EQ(log::detail::journal_key("reader"), "READER");
  EXPECT_EQ(log::detail::journal_key("tap_id"), "TAP_ID");
  EXPECT_EQ(log::detail::journal_key("free-bytes"), "FREE_BYTES");
  EXPECT_EQ(log::detail::journal_key("_private"), "PRIVATE");  // a leading _ is the journal's own
  EXPECT_EQ(log::detail::journal_key("3d"), "F3D");
  EXPECT_EQ(log::detail::journal_key(std::string(100, 'a')).size(), 64u);
}

TEST(LogJournal, OnlyAStderrThatIsTheJournalStreamTurnsItOn) {
  // The test's stderr is a pipe or a terminal; JOURNAL_STREAM, if inherited, names another file.
  EXPECT_FALSE(log::detail::journal_enabled());
}

TEST(BrokerErrors, FailuresAreSentencesNotCodes) {
  EXPECT_NE(broker_failure_words(-1, 0).find("not reachable"), std::string::npos);
  EXPECT_NE(broker_failure_words(5, 135).find("not authorized"), std::string::npos);
  EXPECT_NE(broker_failure_words(4, 134).find("user name or password"), std::string::npos);
  EXPECT_NE(broker_failure_words(4, 0).find("user name or password"), std::string::npos);  // MQTT 3
  EXPECT_NE(broker_failure_words(0, 153).find("reason code 153"), std::string::npos);
  EXPECT_NE(broker_failure_words(-14, 0).find("code -14"), std::string::npos);
}

}  // namespace
}  // namespace kazasu
