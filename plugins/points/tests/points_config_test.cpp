// The points plugin's settings: what the host's type checks let through but the plugin refuses.
#include <gtest/gtest.h>

#include <kazasu/testing/fake_host.hpp>

#include "points_config.hpp"

namespace kazasu::points {
namespace {

using kazasu::testing::FakeHost;
using nlohmann::json;

std::string key_of(const json& settings) {
  const auto r = FakeHost::check_settings(settings.dump());
  return r.status == KAZASU_OK ? std::string("ok") : r.key;
}

TEST(PointsConfig, ReadsRulesEventsPrizesAndProjects) {
  const PointsConfig c = parse_config(json{
      {"facility", "library"},
      {"rules", {"facility=library points=10 per_day=2"}},
      {"events", {"event=fest facility=plaza points=100 from=2027-07-01T09:00 to=2027-07-01T17:00"}},
      {"prizes", {"prize=towel cost=30 stock=5", "prize=draw cost=200 kind=draw"}},
      {"projects", {"project=wifi target=10000 from=2027-06-15 to=2027-07-31"}},
      {"facility_readers",
       {"hall-1=hall"}}}.dump());
  EXPECT_EQ(c.rules.at("library").per_day, 2);
  EXPECT_EQ(c.events[0].points, 100);
  EXPECT_EQ(*c.prizes.at("towel").stock, 5);
  EXPECT_FALSE(c.prizes.at("draw").stock);
  EXPECT_EQ(c.projects.at("wifi").target, 10000);
  EXPECT_EQ(c.facility_of("hall-1"), "hall");
  EXPECT_EQ(c.facility_of("gate"), "library");
  EXPECT_EQ(fiscal_year("2028-03-31", 4), 2027);
  EXPECT_EQ(fiscal_year("2028-04-01", 4), 2028);
  EXPECT_EQ(fiscal_year("2028-01-01", 1), 2028);
}

TEST(PointsConfig, RefusesWhatItCannotUseAtTheKey) {
  EXPECT_EQ(key_of(json{{"rules", json::array()}}), "facility");
  EXPECT_EQ(key_of(json{{"facility", "library"}, {"rules", {"facility=library points=ten"}}}), "rules");
  EXPECT_EQ(key_of(json{{"facility", "library"}, {"rules", {"facility=library points=10 colour=red"}}}), "rules");
  EXPECT_EQ(key_of(json{{"facility", "library"},
                        {"events", {"event=e facility=f points=1 from=2027-07-01T17:00 to=2027-07-01T09:00"}}}),
            "events");
  EXPECT_EQ(key_of(json{{"facility", "library"}, {"prizes", {"prize=towel cost=30"}}}), "prizes");
  EXPECT_EQ(key_of(json{{"facility", "library"}, {"close_rule", "donate"}}), "close_project");
  EXPECT_EQ(key_of(json{{"facility", "library"}, {"short_rule", "burn"}}), "short_rule");
  EXPECT_EQ(key_of(json{{"facility", "library"}, {"rules", {std::string(600, 'x')}}}), "rules");
  EXPECT_EQ(key_of(json{{"facility", "library"}}), "ok");
}

}  // namespace
}  // namespace kazasu::points
