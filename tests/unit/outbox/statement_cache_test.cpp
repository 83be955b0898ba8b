// Statements prepared once per connection: the host's Database::cached/run and the SDK's
// kazasu::db::StatementCache, on real SQLite files. What must hold: a borrowed statement
// comes back reset (no bindings, no open read), a nested use of the same SQL gets its own
// statement, the cache stays bounded, and errors still say what failed.
#include <gtest/gtest.h>
#include <kazasu/sqlite.hpp>

#include <string>

#include "outbox/sqlite.hpp"
#include "process.hpp"

namespace kazasu {
namespace {

int64_t prepared_statements(sqlite3* db) {
  int64_t n = 0;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s != nullptr; s = sqlite3_next_stmt(db, s)) ++n;
  return n;
}

bool any_statement_busy(sqlite3* db) {
  for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s != nullptr; s = sqlite3_next_stmt(db, s)) {
    if (sqlite3_stmt_busy(s) != 0) return true;
  }
  return false;
}

class HostCache : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)");
    for (int i = 1; i <= 3; ++i) db_.cached("INSERT INTO t (k, v) VALUES (?, ?)").bind(1, i).bind(2, "v").run();
  }
  test::TempDir dir_;
  sqlite::Database db_{dir_.path() / "c.db", sqlite::Sync::normal};
};

TEST_F(HostCache, SameSqlIsPreparedOnceAndComesBackReset) {
  const int64_t before = prepared_statements(db_.handle());
  for (int i = 0; i < 100; ++i) {
    auto st = db_.cached("SELECT v FROM t WHERE k = ?");
    st.bind(1, 2);
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.text(0), "v");
    // Left mid-read on purpose: going out of scope must reset it.
  }
  EXPECT_EQ(prepared_statements(db_.handle()), before + 1);
  EXPECT_FALSE(any_statement_busy(db_.handle())) << "a cached statement kept its read open";
  // The bindings went with the reset: an unbound parameter is NULL, so no row.
  auto st = db_.cached("SELECT v FROM t WHERE k = ?");
  EXPECT_FALSE(st.step());
}

TEST_F(HostCache, NestedUseOfTheSameSqlGetsItsOwnStatement) {
  auto outer = db_.cached("SELECT k FROM t ORDER BY k");
  int rows = 0;
  while (outer.step()) {
    auto inner = db_.cached("SELECT k FROM t ORDER BY k");
    ASSERT_TRUE(inner.step());
    EXPECT_EQ(inner.int64(0), 1);
    ++rows;
  }
  EXPECT_EQ(rows, 3) << "the inner query reset the outer one";
}

TEST_F(HostCache, RunKeepsTransactionsWorkingAndErrorsNameTheStatement) {
  for (int i = 0; i < 3; ++i) {
    db_.run("BEGIN IMMEDIATE");
    db_.run("SAVEPOINT s");
    db_.cached("INSERT INTO t (k, v) VALUES (?, 'x')").bind(1, 10 + i).run();
    db_.run("ROLLBACK TO s");
    db_.run("RELEASE s");
    db_.run("COMMIT");
  }
  auto n = db_.cached("SELECT count(*) FROM t");
  ASSERT_TRUE(n.step());
  EXPECT_EQ(n.int64(0), 3);
  try {
    db_.run("COMMIT");
    FAIL() << "COMMIT outside a transaction succeeded";
  } catch (const sqlite::SqliteError& e) {
    EXPECT_NE(std::string(e.what()).find("COMMIT: "), std::string::npos) << e.what();
  }
  EXPECT_THROW(db_.cached("SELECT nothing FROM nowhere"), sqlite::SqliteError);
  db_.run("BEGIN");  // a failed run left nothing behind
  db_.run("COMMIT");
}

TEST_F(HostCache, StaysBoundedWhenSqlVaries) {
  const int64_t before = prepared_statements(db_.handle());
  for (int i = 0; i < 200; ++i) {
    auto st = db_.cached("SELECT " + std::to_string(i) + " FROM t");
    ASSERT_TRUE(st.step());
  }
  EXPECT_LE(prepared_statements(db_.handle()), before + 32);
}

TEST_F(HostCache, ASchemaChangeAfterPreparingIsSeen) {
  { db_.cached("SELECT * FROM t").step(); }
  db_.exec("ALTER TABLE t ADD COLUMN w INTEGER DEFAULT 7");
  auto st = db_.cached("SELECT * FROM t");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(2), 7);
}

class SdkCache : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open((dir_.path() / "p.db").c_str(), &db_), SQLITE_OK);
    db::exec(db_, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)");
    db::exec(db_, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  }
  void TearDown() override { sqlite3_close(db_); }
  test::TempDir dir_;
  sqlite3* db_ = nullptr;
};

TEST_F(SdkCache, BorrowsResetsAndFinalizesBeforeTheConnectionCloses) {
  {
    db::StatementCache cache(db_);
    for (int i = 0; i < 50; ++i) {
      db::Statement st(cache, "SELECT v FROM t WHERE k = ?1");
      st.bind(1, 3);
      ASSERT_TRUE(st.step());
      EXPECT_EQ(st.text(0), "c");
    }
    EXPECT_EQ(cache.size(), 1U);
    EXPECT_EQ(prepared_statements(db_), 1);
    EXPECT_FALSE(any_statement_busy(db_));
    db::Statement unbound(cache, "SELECT v FROM t WHERE k = ?1");
    EXPECT_FALSE(unbound.step()) << "the last use's binding survived the reset";
  }
  // The cache finalized its statements: sqlite3_close (not _v2) would fail otherwise.
  EXPECT_EQ(prepared_statements(db_), 0);
}

TEST_F(SdkCache, NestedSameSqlAndAFullCacheGetTheirOwnStatements) {
  db::StatementCache cache(db_, 2);
  db::Statement outer(cache, "SELECT k FROM t ORDER BY k");
  int rows = 0;
  while (outer.step()) {
    db::Statement inner(cache, "SELECT k FROM t ORDER BY k");
    ASSERT_TRUE(inner.step());
    ++rows;
  }
  EXPECT_EQ(rows, 3);
  for (int i = 0; i < 10; ++i) {
    db::Statement st(cache, "SELECT " + std::to_string(i));
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.int64(0), i);
  }
  EXPECT_EQ(cache.size(), 2U);
  EXPECT_THROW(db::Statement(cache, "SELECT nothing FROM nowhere"), db::SqlError);
}

TEST_F(SdkCache, AStatementMovedOutKeepsItsBorrow) {
  db::StatementCache cache(db_);
  auto make = [&] {
    db::Statement st(cache, "SELECT v FROM t WHERE k = ?1");
    st.bind(1, 1);
    return st;
  };
  db::Statement st = make();
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.text(0), "a");
  db::Statement again(cache, "SELECT v FROM t WHERE k = ?1");  // in use: its own
  again.bind(1, 2);
  ASSERT_TRUE(again.step());
  EXPECT_EQ(again.text(0), "b");
}

}  // namespace
}  // namespace kazasu
