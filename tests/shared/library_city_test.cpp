// The library plugin at three branches of one city, on a real PostgreSQL
// cluster: a card linked at one branch is the patron's card at every branch,
// and an unlink at one is seen at all.
#include <gtest/gtest.h>

#include <map>

#include "broker.hpp"
#include "daemon.hpp"
#include "postgres.hpp"
#include "process.hpp"
#include "subscriber.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

const std::string kSite = "kazasu/v1/test-city/";

class LibraryCity : public ::testing::Test {
 protected:
  void SetUp() override { broker_ = std::make_unique<test::Broker>(dir_.path() / "broker"); }
  void TearDown() override {
    if (HasFailure()) {
      for (auto& [name, d] : branches_) std::cerr << "---- " << name << " log:\n" << d->log();
    }
  }
  test::Daemon& start(const std::string& name) {
    const fs::path dir = dir_.path() / name;
    fs::create_directories(dir);
    test::write_file(dir / "pg.password", std::string(test::Postgres::kPassword) + "\n", 0600);
    std::string text = test::daemon_config(
        dir, broker_->uri(),
        "[plugins.library]\n[plugins.library.config]\ncounter_reader = \"counter-1\"\n"
        "link_min_assurance = \"fast\"\n"
        "\n[readers.counter-1]\ndriver = \"sim\"\nplugins = [\"library\"]\n"
        "\n[sim.cards.alice]\nkind = \"jpki\"\nserial = \"0x1A2B3C4D\"\n"
        "\n[shared]\nengine = \"postgresql\"\nconninfo = \"host=127.0.0.1 port=" +
            std::to_string(pg_.port()) + " dbname=city user=kazasu connect_timeout=2\"\npassword_file = \"" +
            (dir / "pg.password").string() + "\"\n");
    const std::string from = "name = \"station-1\"";
    text.replace(text.find(from), from.size(), "name = \"" + name + "\"");
    branches_[name] = std::make_unique<test::Daemon>(dir, text);
    test::Subscriber s(broker_->uri(), kSite + name + "/status");
    for (auto m = s.next("/status", 10s); m; m = s.next("/status", 10s)) {
      if (json::parse(m->payload)["state"] == "online") return *branches_[name];
    }
    throw std::runtime_error(name + " never came online");
  }
  json call(test::Subscriber& pc, const std::string& branch, const std::string& cmd, const json& payload) {
    pc.publish(kSite + branch + "/library/cmd/" + cmd, payload.dump(), kSite + branch + "/replies/pc/" + cmd, "c");
    auto m = pc.next(branch + "/replies/pc/" + cmd, 10s);
    if (!m) throw std::runtime_error("no reply from " + branch + " to " + cmd);
    return json::parse(m->payload);
  }

  test::TempDir dir_;
  test::Postgres pg_;
  std::unique_ptr<test::Broker> broker_;
  std::map<std::string, std::unique_ptr<test::Daemon>> branches_;
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
