// The attendance plugin at two stations of one city (city hall and a school),
// through real kazasud processes and a real PostgreSQL cluster: a shift begun
// at one station ends with a tap at the other, the first station learns of it
// from the shared state, and without the cluster each station clocks by its
// own records.
#include <gtest/gtest.h>

#include "city.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// No double-tap window: the test taps at two stations within seconds. The
// sync timer runs every second so that city hall learns of the clock-out fast.
const std::string kStation = R"(
[plugins.attendance]
[plugins.attendance.config]
min_gap_s = 0
shared_sync_s = 1

[readers.door-1]
driver = "sim"
plugins = ["attendance"]
accept = ["jpki", "uid"]

[sim.cards.badge]
kind = "uid"
uid = "04A1B2C3"
)";

class AttendanceCity : public test::CityTest {
 protected:
  json call(test::Subscriber& pc, const std::string& station, const std::string& cmd, const json& payload) {
    return reply(pc, station, "attendance", cmd, payload);
  }
  static json next(test::Subscriber& pc, const std::string& topic) {
    auto m = pc.next(topic, 10s);
    if (!m) throw std::runtime_error("no message on " + topic);
    return json::parse(m->payload);
  }
};

TEST_F(AttendanceCity, AShiftBegunAtCityHallEndsAtTheSchoolAndCityHallLearnsOfIt) {
  auto& hall = start("city-hall", kStation);
  auto& school = start("school", kStation);
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");

  // Enrolled by tap at city hall; the school is given the card's token.
  ASSERT_EQ(call(pc, "city-hall", "enroll", {{"staff", "T001"}, {"section", "schools"}, {"reader", "door-1"}})["ok"],
            true);
  hall.tap("door-1", "badge");
  const json enrolled = next(pc, "city-hall/attendance/enrolled");
  const json r = call(pc, "school", "enroll",
                      {{"staff", "T001"}, {"section", "schools"}, {"token", enrolled["token"].get<std::string>()}});
  ASSERT_EQ(r["ok"], true) << r.dump();

  hall.tap("door-1", "badge");
  ASSERT_EQ(next(pc, "city-hall/attendance/clock")["direction"], "in");
  school.tap("door-1", "badge");
  const json out = next(pc, "school/attendance/clock");
  EXPECT_EQ(out["direction"], "out") << out.dump();
  EXPECT_EQ(out["began_at"], "test-city/city-hall") << out.dump();

  // City hall's sync timer closes its copy: its retained roster empties.
  bool emptied = false;
  for (int i = 0; i < 20 && !emptied; ++i) {
    auto m = pc.next("city-hall/attendance/roster", 1s);
    emptied = m && json::parse(m->payload)["count"] == 0;
  }
  EXPECT_TRUE(emptied) << "city hall never learnt that the shift ended at the school";
  hall.tap("door-1", "badge");  // so the next tap there is a new shift
  EXPECT_EQ(next(pc, "city-hall/attendance/clock")["direction"], "in");

  // Without the cluster the school cannot know of city hall's open shift: a
  // clock-in there, within the shared deadline, by its own records.
  pg_.stop();
  school.tap("door-1", "badge");
  const json alone = next(pc, "school/attendance/clock");
  EXPECT_EQ(alone["direction"], "in") << alone.dump();
  EXPECT_NE(school.log().find("shared state unavailable"), std::string::npos);
}

}  // namespace
}  // namespace kazasu
