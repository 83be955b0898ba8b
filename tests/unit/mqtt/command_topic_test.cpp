// Command topics from the broker are split by bounded checks, never a regex:
// a 40,000-character segment once overflowed std::regex's recursion.
#include <gtest/gtest.h>

#include "mqtt/commands.hpp"

namespace kazasu {
namespace {

const std::string kRoot = "kazasu/v1/city/station-1/";

TEST(CommandTopic, SplitsPluginAndName) {
  const auto t = CommandInbox::parse_topic(kRoot + "library/cmd/link", kRoot);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->plugin, "library");
  EXPECT_EQ(t->name, "link");
}

TEST(CommandTopic, RefusesMalformedShapes) {
  for (const std::string tail : {"library/cmd/", "/cmd/link", "library/link", "library/cmd/a/b", "library", "",
                                 "library/cmdx/link", "a/b/cmd/link"}) {
    EXPECT_FALSE(CommandInbox::parse_topic(kRoot + tail, kRoot)) << tail;
  }
  EXPECT_FALSE(CommandInbox::parse_topic("kazasu/v1/other/station-1/library/cmd/link", kRoot));
}

TEST(CommandTopic, RefusesHugeSegmentsWithoutRecursion) {
  const std::string huge(60000, 'p');
  EXPECT_FALSE(CommandInbox::parse_topic(kRoot + huge + "/cmd/x", kRoot));
  EXPECT_FALSE(CommandInbox::parse_topic(kRoot + "library/cmd/" + huge, kRoot));
  EXPECT_FALSE(CommandInbox::parse_topic(kRoot + std::string(65, 'a') + "/cmd/x", kRoot));
  EXPECT_TRUE(CommandInbox::parse_topic(kRoot + std::string(64, 'a') + "/cmd/" + std::string(64, 'b'), kRoot));
}

}  // namespace
}  // namespace kazasu
