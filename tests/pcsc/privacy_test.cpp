// The privacy rule (design.md "Cards"): no code path selects the My Number EF
// of the card-face input support AP, and only a reader feeding a plugin
// granted card.basic_info enters that AP at all. Checked on every APDU trace
// this suite wrote, after a possession read of its own.
#include <gtest/gtest.h>

#include <fstream>

#include "reader_harness.hpp"

namespace kazasu::test {
namespace {

using namespace std::chrono_literals;

TEST(PcscPrivacy, NoTraceEverSelectedTheMyNumberFile) {
  {
    ArmedPinSource pins(10s);
    ReaderHarness h(reader_config(kReader0, "possession", {"freearea", "jpki", "uid"}), identify_config(), &pins);
    ASSERT_TRUE(settle(h, kReader0));
    std::string pin = "1234";
    pins.arm("counter-1", pin);
    CardsimProcess sim(card("valid", {"--free-area-id", "LIB-1"}), kReader0.port,
                       {"--trace", trace_file("PcscPrivacy.NoTraceEverSelectedTheMyNumberFile").string()});
    ASSERT_TRUE(h.next_read(10s));
  }
  int files = 0;
  int commands = 0;
  for (const auto& entry : std::filesystem::directory_iterator(trace_dir())) {
    if (entry.path().extension() != ".trace") continue;
    ++files;
    // Only the basic-four tests configure a reader that reads the card face.
    const bool basic_info_test = entry.path().filename().string().rfind("BasicInfo", 0) == 0;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("> ", 0) == 0) ++commands;
      EXPECT_EQ(line.find("MY NUMBER"), std::string::npos) << entry.path() << ": " << line;
      // READ BINARY by short EF identifier 1 would read EF 0001 without a SELECT.
      EXPECT_NE(line.rfind("> 00B081", 0), 0u) << entry.path() << ": " << line;
      if (!basic_info_test) {
        EXPECT_EQ(line.find("00A4040C0AD3921000310001010408"), std::string::npos) << entry.path() << ": " << line;
      }
    }
  }
  EXPECT_GT(files, 0);
  EXPECT_GT(commands, 0) << "the traces hold no commands: the check would prove nothing";
}

}  // namespace
}  // namespace kazasu::test
