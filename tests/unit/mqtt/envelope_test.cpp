#include <gtest/gtest.h>

#include "mqtt/envelope.hpp"

namespace kazasu {
namespace {

TEST(Envelope, HostFieldsComeFirstThenThePluginsFields) {
  ::setenv("TZ", "Asia/Tokyo", 1);
  ::tzset();
  const Topics topics("sanjo", "library-main");
  const std::string p =
      make_payload(topics, "library", "patron", "0190-id", 0, "counter-1", nlohmann::json{{"patron", "1234"}});
  EXPECT_EQ(p, R"({"schema":"kazasu/v1/library/patron","id":"0190-id","ts":"1970-01-01T09:00:00.000+09:00",)"
               R"("site":"sanjo","station":"library-main","reader":"counter-1","plugin":"library","event":"patron",)"
               R"("patron":"1234"})");
  EXPECT_EQ(topics.outcome("library", "patron"), "kazasu/v1/sanjo/library-main/library/patron");
}

TEST(Envelope, ReservedFieldsAreKnown) {
  for (const char* k : {"schema", "id", "ts", "site", "station", "reader", "plugin", "event"}) {
    EXPECT_TRUE(is_reserved_field(k)) << k;
  }
  EXPECT_FALSE(is_reserved_field("patron"));
}

}  // namespace
}  // namespace kazasu
