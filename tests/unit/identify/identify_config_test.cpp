#include <gtest/gtest.h>

#include <fstream>

#include "config/config.hpp"

namespace kazasu {
namespace {

namespace fs = std::filesystem;

fs::path write(const std::string& name, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / name;
  std::ofstream(p) << "[station]\nsite = \"s\"\nname = \"n\"\n" << text;
  return p;
}

std::vector<std::string> problems(const fs::path& p) {
  try {
    load_config(p);
  } catch (const ConfigException& e) {
    std::vector<std::string> out;
    for (const auto& err : e.errors()) out.push_back(err.str());
    return out;
  }
  return {};
}

TEST(IdentifyConfig, ReadsPcscReadersAndIdentifySettings) {
  const fs::path pem = write("kazasu-id-ca.pem", "");
  const fs::path p = write("kazasu-id-ok.toml",
                           "[readers.r1]\ndriver = \"pcsc\"\npcsc_reader = \"Virtual PCD\"\naccept = [\"jpki\", "
                           "\"freearea\"]\nlevel = \"possession\"\nfeedback = true\n"
                           "[identify.jpki]\ntrust_anchors = [\"" +
                               pem.string() +
                               "\"]\n"
                               "[identify.freearea]\naid = \"F04B415A41535501\"\nef = \"0002\"\ntag = \"DF21\"\n"
                               "[identify.pin]\ntimeout_ms = 500\nttl_ms = 2000\n");
  const Config c = load_config(p);
  ASSERT_EQ(c.readers.size(), 1u);
  EXPECT_EQ(c.readers[0].driver, "pcsc");
  EXPECT_EQ(c.readers[0].pcsc_reader, "Virtual PCD");
  EXPECT_TRUE(c.readers[0].feedback);
  EXPECT_EQ(c.identify.trust_anchors, std::vector<fs::path>{pem});
  EXPECT_EQ(c.identify.freearea_aid.size(), 8u);
  EXPECT_EQ(c.identify.freearea_ef, 0x0002);
  EXPECT_EQ(c.identify.freearea_tag, (std::vector<unsigned char>{0xDF, 0x21}));
  EXPECT_EQ(c.identify.pin_timeout_ms, 500);
  EXPECT_EQ(c.identify.pin_ttl_ms, 2000);
}

TEST(IdentifyConfig, ReportsEveryGapWithFileAndLine) {
  const fs::path p = write("kazasu-id-bad.toml",
                           "[readers.r1]\ndriver = \"pcsc\"\naccept = [\"jpki\", \"freearea\"]\nlevel = \"verified\"\n"
                           "feedback = \"yes\"\n[identify.freearea]\naid = \"F0\"\n");
  const std::string f = p.string();
  EXPECT_EQ(problems(p), (std::vector<std::string>{
                             f + ":4: readers.r1.pcsc_reader: required key is missing",
                             f + ":6: readers.r1.accept: \"freearea\" needs [identify.freearea] aid, ef and tag",
                             f + ":7: readers.r1.level: \"verified\" needs trust anchors: set [identify.jpki] "
                                 "trust_anchors = [\"ca.pem\"]",
                             f + ":8: readers.r1.feedback: expected true or false",
                             f + ":10: identify.freearea.aid: expected 5 to 16 hex bytes such as \"D392F000\"",
                         }));
}

}  // namespace
}  // namespace kazasu
