// The rules the host cannot check alone: a SIP2 host needs a charset iconv
// knows; choices are spelled right. Plus the staff hints for each read status.
#include "library_config.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string_view>

#include "hints.hpp"

namespace kazasu::library {
namespace {

// What the host hands over: every declared setting, defaults filled in.
nlohmann::json defaults() {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& s : kLibrarySettings) j[s.name] = nlohmann::json::parse(s.default_value);
  return j;
}

std::string error_of(const nlohmann::json& j) {
  try {
    parse_config(j.dump());
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(LibraryConfig, DefaultsParseWithSip2Off) {
  const LibraryConfig c = parse_config(defaults().dump());
  EXPECT_FALSE(c.sip2.enabled());
  EXPECT_EQ(c.link_timeout_ms, 120000);
  EXPECT_EQ(c.sip2.timeout_ms, 800);
}

TEST(LibraryConfig, Sip2HostWithoutCharsetNamesTheKey) {
  auto j = defaults();
  j["sip2_host"] = "127.0.0.1";
  EXPECT_EQ(error_of(j).rfind("sip2_charset: required when sip2_host is set", 0), 0U) << error_of(j);
  j["sip2_charset"] = "KLINGON-8";
  EXPECT_EQ(error_of(j).rfind("sip2_charset: \"KLINGON-8\" is not", 0), 0U) << error_of(j);
  j["sip2_charset"] = "CP932";
  EXPECT_EQ(error_of(j), "");
}

TEST(LibraryConfig, ChoicesAndReaderNamesAreChecked) {
  auto j = defaults();
  j["sip2_message"] = "checkout";
  EXPECT_EQ(error_of(j).rfind("sip2_message:", 0), 0U);
  j = defaults();
  j["link_min_assurance"] = "uid";
  EXPECT_EQ(error_of(j).rfind("link_min_assurance:", 0), 0U);
  j = defaults();
  j["counter_reader"] = "counter 1";
  EXPECT_EQ(error_of(j).rfind("counter_reader:", 0), 0U);
}

TEST(LibraryConfig, Sip2PortIsDeclaredWithItsRange) {
  for (const auto& s : kLibrarySettings) {
    if (std::string_view(s.name) == "sip2_port") {
      EXPECT_EQ(s.min_value, 1);
      EXPECT_EQ(s.max_value, 65535);
      return;
    }
  }
  FAIL() << "sip2_port is not declared";
}

TEST(LibraryHints, EachReadStatusHasItsReason) {
  EXPECT_EQ(hint_for("ok").reason, "not_linked");
  EXPECT_EQ(hint_for("expired").reason, "expired");
  EXPECT_EQ(hint_for("pin_locked").reason, "pin_locked");
  EXPECT_EQ(hint_for("read_failed").reason, "read_failed");
  EXPECT_EQ(hint_for("something_new").reason, "unreadable");
  EXPECT_NE(hint_for("pin_locked").hint_ja.find("市区町村の窓口"), std::string::npos);
}

}  // namespace
}  // namespace kazasu::library
