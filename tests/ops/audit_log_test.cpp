// The audit log's writer: rows in order with an intact chain, the bound on its
// queue (drops are counted and themselves recorded), the append-only table,
// and link outcomes recorded from the outcome tap.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <iostream>

#include "audit/audit_log.hpp"
#include "process.hpp"
#include "service/outcome_tap.hpp"

namespace kazasu {
namespace {

using namespace std::chrono_literals;

std::vector<audit::Row> all_rows(const std::filesystem::path& file) {
  audit::Reader reader(file);
  return reader.rows(0, 1000000);
}

TEST(AuditLog, RowsAreWrittenInOrderWithAnIntactChain) {
  test::TempDir dir;
  const auto file = dir.path() / "audit.db";
  {
    AuditLog log(file);
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(log.append("tap", {{"n", i}}));
    ASSERT_TRUE(log.flush(10s));
  }
  const auto verdict = audit::verify_file(file);
  EXPECT_FALSE(verdict.broken);
  EXPECT_EQ(verdict.rows, 1000);
  const auto rows = all_rows(file);
  ASSERT_EQ(rows.size(), 1000u);
  EXPECT_EQ(rows[0].fields, R"({"n":0})");
  EXPECT_EQ(rows[999].fields, R"({"n":999})");
  EXPECT_EQ(rows[0].prev_hash, audit::kGenesisHash);

  // Reopened, the chain goes on from the last row.
  {
    AuditLog log(file);
    ASSERT_TRUE(log.append("stop", {}));
    ASSERT_TRUE(log.flush(10s));
  }
  EXPECT_EQ(audit::verify_file(file).rows, 1001);
}

TEST(AuditLog, AKindThatIsNotATokenIsRefused) {
  test::TempDir dir;
  AuditLog log(dir.path() / "audit.db");
  EXPECT_FALSE(log.append("Tap Row", {}));
  EXPECT_FALSE(log.append("", {}));
  EXPECT_TRUE(log.append("config_reload", {{"ok", true}}));
}

TEST(AuditLog, LargeFieldsAreRecordedAsTheirSize) {
  test::TempDir dir;
  const auto file = dir.path() / "audit.db";
  {
    AuditLog log(file);
    ASSERT_TRUE(log.append("tap", {{"big", std::string(AuditLog::kMaxFieldsBytes * 2, 'x')}}));
    ASSERT_TRUE(log.flush(10s));
  }
  const auto rows = all_rows(file);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0].fields.find(R"("truncated":true)"), std::string::npos) << rows[0].fields;
}

TEST(AuditLog, AFullQueueDropsAndCountsRowsAndTheGapIsInTheChain) {
  test::TempDir dir;
  const auto file = dir.path() / "audit.db";
  uint64_t dropped = 0;
  size_t accepted = 0;
  const auto start = std::chrono::steady_clock::now();
  {
    AuditLog log(file);
    // Far faster than a disk commits: the queue's bound is reached.
    for (int i = 0; i < 50000; ++i) accepted += log.append("tap", {{"n", i}}) ? 1 : 0;
    ASSERT_TRUE(log.flush(60s));
    dropped = log.dropped();
    // One more row after the drops carries their count into the chain.
    ASSERT_TRUE(log.append("tap", {{"n", "after"}}));
    ASSERT_TRUE(log.flush(10s));
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::cout << "[ audit ] " << accepted << " rows written, " << dropped << " dropped, in " << ms.count() << " ms\n";
  EXPECT_EQ(accepted + dropped, 50000u);
  const auto verdict = audit::verify_file(file);
  EXPECT_FALSE(verdict.broken);
  uint64_t reported = 0;
  for (const auto& r : all_rows(file)) {
    if (r.kind == "audit_dropped") reported += nlohmann::json::parse(r.fields)["count"].get<uint64_t>();
  }
  EXPECT_EQ(reported, dropped);
  if (dropped == 0) std::cout << "[ audit ] the writer kept up; no drop to check on this machine\n";
}

TEST(AuditLog, TheTableIsAppendOnly) {
  test::TempDir dir;
  const auto file = dir.path() / "audit.db";
  {
    AuditLog log(file);
    ASSERT_TRUE(log.append("start", {}));
    ASSERT_TRUE(log.flush(10s));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* msg = nullptr;
  EXPECT_NE(sqlite3_exec(db, "UPDATE audit_log SET kind = 'x'", nullptr, nullptr, &msg), SQLITE_OK);
  EXPECT_NE(std::string(msg != nullptr ? msg : "").find("append-only"), std::string::npos);
  sqlite3_free(msg);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit_log", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(audit::verify_file(file).rows, 1);
}

TEST(AuditLog, LinkOutcomesAreRecordedFromTheOutcomeTapWithoutThePluginsFields) {
  test::TempDir dir;
  AuditLog::open_for_process(dir.path());
  OutcomeTap::process().publish("kazasu/v1/s/t/library/seen", R"({"id":"a","reader":"r"})");
  OutcomeTap::process().publish("kazasu/v1/s/t/library/linked", R"({"id":"b","reader":"counter-1","patron":"123"})");
  OutcomeTap::process().publish("kazasu/v1/s/t/election/link_refused", R"({"id":"c","reader":"r2"})");
  ASSERT_TRUE(AuditLog::flush_process(10s));
  const auto rows = all_rows(dir.path() / AuditLog::kFileName);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].kind, "start");
  EXPECT_EQ(rows[1].kind, "link");
  EXPECT_EQ(nlohmann::json::parse(rows[1].fields),
            nlohmann::json({{"plugin", "library"}, {"event", "linked"}, {"id", "b"}, {"reader", "counter-1"}}));
  EXPECT_EQ(nlohmann::json::parse(rows[2].fields)["event"], "link_refused");
  EXPECT_EQ(nlohmann::json::parse(rows[2].fields)["plugin"], "election");
}

}  // namespace
}  // namespace kazasu
