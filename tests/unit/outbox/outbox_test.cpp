// The outbox table on real SQLite files: rows survive a reopen, keep their
// order, and go only when acknowledged; a rolled-back transaction takes its
// rows with it.
#include <gtest/gtest.h>

#include "outbox/outbox.hpp"
#include "outbox/outbox_store.hpp"
#include "process.hpp"

namespace kazasu {
namespace {

TEST(Outbox, RowsSurviveAReopenInOrder) {
  test::TempDir dir;
  const auto file = dir.path() / "o.db";
  {
    sqlite::Database db(file, sqlite::Sync::full);
    outbox::ensure_schema(db);
    for (int i = 0; i < 5; ++i) outbox::append(db, "id" + std::to_string(i), "t", "{}", i);
  }
  OutboxStore store("x", file);
  const auto rows = store.pending();
  ASSERT_EQ(rows.size(), 5u);
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].msg_id, "id" + std::to_string(i));
  store.acknowledged(rows[2].seq);
  EXPECT_EQ(store.count(), 4);
  EXPECT_EQ(store.pending()[2].msg_id, "id3");
}

TEST(Outbox, RollbackTakesTheRowsWithIt) {
  test::TempDir dir;
  sqlite::Database db(dir.path() / "o.db", sqlite::Sync::full);
  outbox::ensure_schema(db);
  db.exec("BEGIN");
  outbox::append(db, "a", "t", "{}", 0);
  db.exec("ROLLBACK");
  EXPECT_EQ(outbox::count(db), 0);
}

TEST(Outbox, TheDatabaseIsInWalMode) {
  test::TempDir dir;
  sqlite::Database db(dir.path() / "o.db", sqlite::Sync::full);
  auto st = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.text(0), "wal");
}

}  // namespace
}  // namespace kazasu
