// The publisher's bounded hold on the outbox (PendingWindow), on real SQLite
// files: at most `cap` rows held, the rest read back in order as the held
// ones drain, every row exactly once, also when a commit races a read.
#include <gtest/gtest.h>

#include <set>

#include "mqtt/pending_window.hpp"
#include "outbox/outbox.hpp"
#include "outbox/outbox_store.hpp"
#include "process.hpp"

namespace kazasu {
namespace {

// One outbox file with a writer connection, as a plugin's strand has.
struct File {
  File(const std::filesystem::path& path, const std::string& owner)
      : writer(path, sqlite::Sync::full),
        store((outbox::ensure_schema(writer), std::make_shared<OutboxStore>(owner, path))) {}
  Outgoing commit(const std::string& msg_id) {
    const int64_t seq = outbox::append(writer, msg_id, "t", "{}", 0);
    return Outgoing{store, seq, msg_id, "t", "{}", {}, false};
  }
  sqlite::Database writer;
  std::shared_ptr<OutboxStore> store;
};

std::string id(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "id%06d", i);
  return buf;
}

TEST(PendingWindow, RowsLeftByTheLastRunAreReadInTapOrderAcrossFiles) {
  test::TempDir dir;
  File a(dir.path() / "a.db", "a"), b(dir.path() / "b.db", "b");
  for (int i = 0; i < 10; ++i) (i % 3 == 0 ? b : a).commit(id(i));
  PendingWindow w({a.store, b.store}, 4);
  EXPECT_TRUE(w.spilled());
  EXPECT_EQ(w.on_disk(), 10);
  std::vector<std::string> seen;
  while (w.spilled()) {
    auto rows = w.read(4);
    ASSERT_LE(rows.size(), 4u);
    for (auto& r : rows) seen.push_back(r.msg_id);
  }
  ASSERT_EQ(seen.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], id(i));
  EXPECT_EQ(w.on_disk(), 0);
}

TEST(PendingWindow, PastTheCapNewRowsStayOnDiskAndComeBackInOrder) {
  test::TempDir dir;
  File a(dir.path() / "a.db", "a");
  PendingWindow w({a.store}, 8);
  EXPECT_TRUE(w.read(8).empty());  // nothing left from a last run
  EXPECT_FALSE(w.spilled());
  std::vector<std::string> held;
  for (int i = 0; i < 100; ++i) {
    auto row = a.commit(id(i));
    if (w.admit(row, held.size())) held.push_back(row.msg_id);
  }
  EXPECT_EQ(held.size(), 8u);  // the edge: the cap, not one more
  EXPECT_TRUE(w.spilled());
  EXPECT_EQ(w.on_disk(), 92);
  std::vector<std::string> sent;
  while (!held.empty() || w.spilled()) {
    for (auto& m : held) sent.push_back(m);
    held.clear();
    for (auto& r : w.read(8)) held.push_back(r.msg_id);
  }
  ASSERT_EQ(sent.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sent[static_cast<size_t>(i)], id(i));
  // Caught up: the next commit is held at once again.
  EXPECT_TRUE(w.admit(a.commit(id(100)), 0));
}

TEST(PendingWindow, ACommitReadBeforeItsEnqueueArrivesIsNotHeldTwice) {
  test::TempDir dir;
  File a(dir.path() / "a.db", "a");
  PendingWindow w({a.store}, 4);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(w.admit(a.commit(id(i)), 0), false);  // spilled: the last run's state
  // Two more rows committed whose enqueue is still on its way to the io thread.
  auto late1 = a.commit(id(6));
  auto late2 = a.commit(id(7));
  std::multiset<std::string> got;
  while (w.spilled()) {
    for (auto& r : w.read(4)) got.insert(r.msg_id);
  }
  EXPECT_FALSE(w.admit(late1, 0));
  EXPECT_FALSE(w.admit(late2, 0));
  EXPECT_EQ(got.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(got.count(id(i)), 1u) << id(i);
  EXPECT_EQ(w.on_disk(), 0);
}

}  // namespace
}  // namespace kazasu
