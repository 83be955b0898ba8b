// The link store on a real SQLite file: migrations, links and their
// replacement, arms and their expiry, daily counts.
#include "link_store.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <memory>

#include <kazasu/sqlite.hpp>

namespace kazasu::library {

using db::exec;
using db::SqlError;
namespace {

struct Close {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

class LinkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = std::filesystem::temp_directory_path() /
            ("library-store-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    std::filesystem::remove(file_);
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file_.c_str(), &raw), SQLITE_OK);
    db_.reset(raw);
    store_ = std::make_unique<LinkStore>(db_.get());
    store_->migrate();
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    std::filesystem::remove(file_);
  }

  std::filesystem::path file_;
  std::unique_ptr<sqlite3, Close> db_;
  std::unique_ptr<LinkStore> store_;
};

TEST_F(LinkStoreTest, MigrationIsIdempotentAndVersioned) {
  EXPECT_EQ(store_->schema_version(), 3);
  store_->migrate();
  EXPECT_EQ(store_->schema_version(), 3);
}

// v2: a single-station file's links are marked for the first sync to the city's engine.
TEST_F(LinkStoreTest, LinksOfASingleStationFileWaitForTheFirstSync) {
  store_->link("P1", "tok-1", 1000, "tap-1");
  ASSERT_EQ(store_->pending().size(), 1u);
  EXPECT_EQ(store_->pending()[0].token, "tok-1");
  store_->set_synced("P1", true);
  EXPECT_TRUE(store_->pending().empty());
  EXPECT_TRUE(store_->first_sight("conflict:a"));
  EXPECT_FALSE(store_->first_sight("conflict:a"));
}

TEST_F(LinkStoreTest, RefusesADatabaseFromANewerPlugin) {
  exec(db_.get(), "PRAGMA user_version = 99");
  EXPECT_THROW(store_->migrate(), SqlError);
}

TEST_F(LinkStoreTest, LinksAndFindsByToken) {
  EXPECT_EQ(store_->link("P1", "tok-a", 1000, "tap-1").outcome, LinkOutcome::linked);
  const auto l = store_->find_by_token("tok-a");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->patron, "P1");
  EXPECT_EQ(l->linked_ms, 1000);
  EXPECT_FALSE(store_->find_by_token("tok-b"));
}

TEST_F(LinkStoreTest, ANewCardReplacesThePatronsOldOneAndKeepsTheFirstLinkTime) {
  store_->link("P1", "tok-old", 1000, "tap-1");
  EXPECT_EQ(store_->link("P1", "tok-new", 5000, "tap-2").outcome, LinkOutcome::replaced);
  EXPECT_FALSE(store_->find_by_token("tok-old"));
  const auto l = store_->find_by_token("tok-new");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->linked_ms, 5000);
  EXPECT_EQ(l->first_linked_ms, 1000);
  EXPECT_EQ(l->relinks, 1);
}

TEST_F(LinkStoreTest, RefusesACardOfAnotherPatronAndSaysWhose) {
  store_->link("P1", "tok-a", 1000, "tap-1");
  const LinkResult r = store_->link("P2", "tok-a", 2000, "tap-2");
  EXPECT_EQ(r.outcome, LinkOutcome::already_linked);
  EXPECT_EQ(r.linked_patron, "P1");
  EXPECT_EQ(store_->find_by_token("tok-a")->patron, "P1");
  EXPECT_EQ(store_->link("P1", "tok-a", 3000, "tap-3").outcome, LinkOutcome::unchanged);
}

TEST_F(LinkStoreTest, UnlinkRemovesOnlyThatPatron) {
  store_->link("P1", "tok-a", 1000, "tap-1");
  store_->link("P2", "tok-b", 1000, "tap-2");
  EXPECT_TRUE(store_->unlink("P1"));
  EXPECT_FALSE(store_->unlink("P1"));
  EXPECT_FALSE(store_->find_by_token("tok-a"));
  EXPECT_TRUE(store_->find_by_token("tok-b"));
}

TEST_F(LinkStoreTest, ArmsExpireAndAPatronIsArmedOnOneReaderAtATime) {
  store_->arm({"counter-1", "P1", 10'000, "cmd-1"});
  EXPECT_TRUE(store_->active_arm("counter-1", 9'999));
  EXPECT_FALSE(store_->active_arm("counter-1", 10'000));
  store_->arm({"counter-1", "P1", 20'000, "cmd-2"});
  store_->arm({"counter-2", "P1", 20'000, "cmd-3"});
  EXPECT_FALSE(store_->active_arm("counter-1", 0));
  EXPECT_EQ(store_->active_arm("counter-2", 0)->command_id, "cmd-3");
  store_->disarm_patron("P1");
  EXPECT_FALSE(store_->active_arm("counter-2", 0));
}

TEST_F(LinkStoreTest, CountsPerDay) {
  store_->count("2026-01-01", "taps");
  store_->count("2026-01-01", "taps");
  store_->count("2026-01-02", "taps");
  EXPECT_EQ(store_->counts("2026-01-01").at("taps"), 2);
  EXPECT_EQ(store_->counts("2026-01-02").at("taps"), 1);
  EXPECT_TRUE(store_->counts("2026-01-03").empty());
}

}  // namespace
}  // namespace kazasu::library
