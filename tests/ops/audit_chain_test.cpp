// The audit log's hash chain on its own: the hash of a row, and the verifier
// telling an edit, a deletion and a reordering apart.
#include <gtest/gtest.h>

#include <vector>

#include "audit/audit_chain.hpp"

namespace kazasu::audit {
namespace {

std::vector<Row> chain(int n) {
  std::vector<Row> rows;
  std::string prev(kGenesisHash);
  for (int i = 1; i <= n; ++i) {
    Row r{i, 1700000000000 + i, "tap", R"({"id":")" + std::to_string(i) + R"("})", prev, ""};
    r.hash = row_hash(r.prev_hash, r.seq, r.at_ms, r.kind, r.fields);
    prev = r.hash;
    rows.push_back(r);
  }
  return rows;
}

std::optional<Break> verify(const std::vector<Row>& rows) {
  ChainVerifier v;
  for (const auto& r : rows) v.feed(r);
  return v.broken();
}

TEST(AuditChain, HashIsSha256OfThePreviousHashAndTheCanonicalText) {
  EXPECT_EQ(canonical_text(1, 1700000000000, "start", R"({"pid":42})"), "1\n1700000000000\nstart\n{\"pid\":42}");
  // sha256("0"*64 + "1\n1700000000000\nstart\n{\"pid\":42}"), computed independently.
  EXPECT_EQ(row_hash(kGenesisHash, 1, 1700000000000, "start", R"({"pid":42})"),
            "66c07699cc6748c841e215ab76005180298ca8fd41ffe19d34e3421c9eec9aa8");
}

TEST(AuditChain, AnIntactChainVerifies) {
  ChainVerifier v;
  for (const auto& r : chain(5)) EXPECT_TRUE(v.feed(r));
  EXPECT_FALSE(v.broken());
  EXPECT_EQ(v.rows(), 5);
  EXPECT_EQ(v.last_seq(), 5);
  EXPECT_EQ(v.head_hash(), chain(5).back().hash);
}

TEST(AuditChain, AnEmptyLogVerifies) {
  ChainVerifier v;
  EXPECT_FALSE(v.broken());
  EXPECT_EQ(v.rows(), 0);
  EXPECT_EQ(v.head_hash(), kGenesisHash);
}

TEST(AuditChain, AnEditedRowIsTheFirstBroken) {
  auto rows = chain(5);
  rows[2].fields = R"({"id":"forged"})";
  const auto b = verify(rows);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->seq, 3);
  EXPECT_EQ(b->reason, BreakReason::edited);
}

TEST(AuditChain, AnEditedTimeOrKindBreaksTooBecauseTheHashCoversThem) {
  auto rows = chain(4);
  rows[1].at_ms += 1;
  EXPECT_EQ(verify(rows)->seq, 2);
  rows = chain(4);
  rows[3].kind = "command";
  EXPECT_EQ(verify(rows)->seq, 4);
  EXPECT_EQ(verify(rows)->reason, BreakReason::edited);
}

TEST(AuditChain, AnEditedAndRehashedRowBreaksTheNextOne) {
  auto rows = chain(5);
  rows[2].fields = R"({"id":"forged"})";
  rows[2].hash = row_hash(rows[2].prev_hash, rows[2].seq, rows[2].at_ms, rows[2].kind, rows[2].fields);
  const auto b = verify(rows);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->seq, 4);
  EXPECT_EQ(b->reason, BreakReason::reordered);
}

TEST(AuditChain, ADeletedRowIsAGapAtTheRowAfterIt) {
  auto rows = chain(5);
  rows.erase(rows.begin() + 2);  // seq 3
  const auto b = verify(rows);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->seq, 4);
  EXPECT_EQ(b->reason, BreakReason::deleted);
  EXPECT_NE(b->message.find("row 3 is missing"), std::string::npos) << b->message;
}

TEST(AuditChain, DeletedFirstRowsAreAGapToo) {
  auto rows = chain(5);
  rows.erase(rows.begin(), rows.begin() + 2);
  const auto b = verify(rows);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->seq, 3);
  EXPECT_EQ(b->reason, BreakReason::deleted);
  EXPECT_NE(b->message.find("rows 1..2 are missing"), std::string::npos) << b->message;
}

TEST(AuditChain, SwappedRowsAreReordered) {
  // What a swap in SQLite leaves: the rows' contents exchanged, their seq kept in order.
  auto rows = chain(5);
  std::swap(rows[1], rows[2]);
  std::swap(rows[1].seq, rows[2].seq);
  const auto b = verify(rows);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->seq, 2);
  EXPECT_EQ(b->reason, BreakReason::reordered);
}

TEST(AuditChain, ADuplicatedRowIsReordered) {
  auto rows = chain(3);
  rows.insert(rows.begin() + 2, rows[1]);
  const auto b = verify(rows);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->seq, 2);
  EXPECT_EQ(b->reason, BreakReason::reordered);
}

TEST(AuditChain, TheFirstBreakIsKept) {
  auto rows = chain(6);
  rows[4].fields = "{}";
  rows[1].fields = "{}";
  ChainVerifier v;
  for (const auto& r : rows) v.feed(r);
  ASSERT_TRUE(v.broken());
  EXPECT_EQ(v.broken()->seq, 2);
  EXPECT_EQ(v.rows(), 1);
}

}  // namespace
}  // namespace kazasu::audit
