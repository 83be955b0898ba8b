// The library plugin at three branches of one city, on a real PostgreSQL
// cluster: a card linked at one branch is the patron's card at every branch,
// and an unlink at one is seen at all.
#include <gtest/gtest.h>

#include "city.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class LibraryCity : public test::CityTest {
 protected:
  test::Daemon& start(const std::string& name) {
    return CityTest::start(name,
                           "[plugins.library]\n[plugins.library.config]\ncounter_reader = \"counter-1\"\n"
                           "link_min_assurance = \"fast\"\n"
                           "\n[readers.counter-1]\ndriver = \"sim\"\nplugins = [\"library\"]\n"
                           "\n[sim.cards.alice]\nkind = \"jpki\"\nserial = \"0x1A2B3C4D\"\n");
  }
  json call(test::Subscriber& pc, const std::string& branch, const std::string& cmd, const json& payload) {
    return reply(pc, branch, "library", cmd, payload);
  }
};

TEST_F(LibraryCity, LinkedAtOneBranchKnownAtTheOthersUnlinkedAtOneRefusedAtAll) {
  auto& a = start("central");
  auto& b = start("east");
  auto& c = start("west");
  test::Subscriber pc(broker_->uri(), "kazasu/v1/#");

  ASSERT_EQ(call(pc, "central", "link", {{"patron", "P0001"}})["ok"], true);
  a.tap("counter-1", "alice");
  auto linked = pc.next("central/library/linked", 10s);
  ASSERT_TRUE(linked);
  EXPECT_EQ(json::parse(linked->payload)["pending_sync"], false);

  for (auto [name, d] : {std::pair{"east", &b}, std::pair{"west", &c}}) {
    d->tap("counter-1", "alice");
    auto patron = pc.next(std::string(name) + "/library/patron", 10s);
    ASSERT_TRUE(patron) << name;
    EXPECT_EQ(json::parse(patron->payload)["patron"], "P0001") << name;
  }

  const json unlinked = call(pc, "west", "unlink", {{"patron", "P0001"}});
  ASSERT_EQ(unlinked["ok"], true) << unlinked.dump();
  a.tap("counter-1", "alice");
  auto unknown = pc.next("central/library/unknown_card", 10s);
  ASSERT_TRUE(unknown) << "the unlink at west was not seen at central";
  EXPECT_EQ(json::parse(unknown->payload)["reason"], "not_linked");
  EXPECT_EQ(call(pc, "east", "unlink", {{"patron", "P0001"}})["error"]["code"], "not_linked");
}

}  // namespace
}  // namespace kazasu
