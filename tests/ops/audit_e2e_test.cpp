// The audit log of a running kazasud: start, taps, commands and control
// requests are recorded (never a token), `kazasuctl audit verify` passes, and
// after the daemon stops an edited, deleted or swapped row is found, first
// broken row and reason, with exit code 3.
#include <sqlite3.h>

#include <signal.h>

#include "ops_fixture.hpp"

namespace kazasu::test {
namespace {

using nlohmann::json;

const json* find_row(const std::vector<json>& rows, const std::string& kind, const std::string& key = "",
                     const std::string& value = "") {
  for (const auto& r : rows) {
    if (r["kind"] != kind) continue;
    if (key.empty() || (r["fields"].contains(key) && r["fields"][key] == value)) return &r;
  }
  return nullptr;
}

TEST_F(OpsTest, StartTapsCommandsAndControlRequestsAreAudited) {
  Subscriber pc(broker_->uri(), kRoot + "#");
  ASSERT_TRUE(pc.next("/status", 5s));
  const std::string id = daemon_->tap("counter-1", "alice");
  pc.publish(kRoot + "example/cmd/count", R"({"token":"t"})", kRoot + "replies/pc-1/count", "c1");
  ASSERT_TRUE(pc.next("/replies/pc-1/count", 5s));
  pc.publish(kRoot + "example/cmd/count", "{}", kRoot + "replies/desk-2/count", "c2");
  ASSERT_TRUE(pc.next("/replies/desk-2/count", 5s));

  const auto rows = audit_rows_when([&](const std::vector<json>& r) {
    return find_row(r, "tap", "id", id) != nullptr && find_row(r, "command", "sender", "desk-2") != nullptr;
  });
  const json* start = find_row(rows, "start");
  ASSERT_NE(start, nullptr);
  EXPECT_EQ((*start)["seq"], 1);
  EXPECT_TRUE((*start)["fields"]["version"].is_string());

  const json* tap = find_row(rows, "tap", "id", id);
  ASSERT_NE(tap, nullptr);
  EXPECT_EQ((*tap)["fields"]["reader"], "counter-1");
  EXPECT_EQ((*tap)["fields"]["plugin"], "example");
  EXPECT_EQ((*tap)["fields"]["events"], json({"seen"}));
  EXPECT_EQ((*tap)["fields"]["result"], "ok");

  const json* cmd = find_row(rows, "command", "sender", "pc-1");
  ASSERT_NE(cmd, nullptr);
  EXPECT_EQ((*cmd)["fields"]["plugin"], "example");
  EXPECT_EQ((*cmd)["fields"]["command"], "count");
  EXPECT_EQ((*cmd)["fields"]["ok"], true);
  EXPECT_TRUE((*cmd)["fields"]["id"].is_string());
  const json* refused = find_row(rows, "command", "sender", "desk-2");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ((*refused)["fields"]["ok"], false);
  EXPECT_EQ((*refused)["fields"]["code"], "missing_field");

  const json* control = find_row(rows, "control", "cmd", "tap");
  ASSERT_NE(control, nullptr);
  EXPECT_EQ((*control)["fields"]["uid"], ::getuid());
  EXPECT_EQ((*control)["fields"]["reader"], "counter-1");
  EXPECT_EQ((*control)["fields"]["ok"], true);
  // Read-only requests are not audited.
  EXPECT_EQ(find_row(rows, "control", "cmd", "status"), nullptr);

  // No token, no serial: the example plugin's own outcome carries a token; the audit log never does.
  for (const auto& r : rows) {
    EXPECT_FALSE(r["fields"].contains("token")) << r;
    EXPECT_EQ(r.dump().find("1A2B3C4D"), std::string::npos) << r;
  }

  std::string out;
  EXPECT_EQ(ctl({"audit", "verify"}, out), 0) << out;
  EXPECT_TRUE(out.find("audit log ok: ") != std::string::npos) << out;
  const json v = ctl_json({"audit", "verify"});
  EXPECT_EQ(v["ok"], true);
  EXPECT_GE(v["rows"].get<int>(), 4);
}

class AuditTampering : public OpsTest {
 protected:
  // Some rows, then kazasud stops (its `stop` row is the last) and the test edits the file.
  void SetUp() override {
    OpsTest::SetUp();
    for (int i = 0; i < 3; ++i) daemon_->tap("counter-1", "alice");
    audit_rows_when([](const std::vector<json>& r) {
      int taps = 0;
      for (const auto& row : r) taps += row["kind"] == "tap" ? 1 : 0;
      return taps == 3;
    });
    ASSERT_EQ(daemon_->stop(SIGTERM, 5s), 0);
    file_ = (data_dir() / "audit.db").string();
    std::string out;
    ASSERT_EQ(verify(out), 0) << out;
    ASSERT_NE(out.find("audit log ok"), std::string::npos) << out;
    ASSERT_EQ(sqlite3_open(file_.c_str(), &db_), SQLITE_OK);
    // The table is append-only for kazasud's own code: someone tampering drops the guards first.
    ASSERT_NE(exec("UPDATE audit_log SET kind = 'x' WHERE seq = 2"), SQLITE_OK);
    ASSERT_EQ(exec("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"), SQLITE_OK);
  }
  void TearDown() override {
    if (db_ != nullptr) sqlite3_close(db_);
    OpsTest::TearDown();
  }
  int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }
  int verify(std::string& out, bool as_json = false) {
    std::vector<std::string> args{kazasuctl_path()};
    if (as_json) args.emplace_back("--json");
    for (const char* a : {"audit", "verify", "--data-dir"}) args.emplace_back(a);
    args.push_back(data_dir().string());
    return run(args, out);
  }
  json broken() {
    std::string out;
    EXPECT_EQ(verify(out, true), 3) << out;
    return json::parse(out)["broken"];
  }

  std::string file_;
  sqlite3* db_ = nullptr;
};

TEST_F(AuditTampering, AnEditedRowIsReportedAsEdited) {
  ASSERT_EQ(exec(R"(UPDATE audit_log SET fields = '{"id":"forged"}' WHERE seq = 3)"), SQLITE_OK);
  std::string out;
  EXPECT_EQ(verify(out), 3) << out;
  EXPECT_NE(out.find("BROKEN at row 3 (edited)"), std::string::npos) << out;
  const json b = broken();
  EXPECT_EQ(b["seq"], 3);
  EXPECT_EQ(b["reason"], "edited");
}

TEST_F(AuditTampering, ADeletedRowIsReportedAsDeleted) {
  ASSERT_EQ(exec("DELETE FROM audit_log WHERE seq = 3"), SQLITE_OK);
  std::string out;
  EXPECT_EQ(verify(out), 3) << out;
  EXPECT_NE(out.find("BROKEN at row 4 (deleted)"), std::string::npos) << out;
  EXPECT_NE(out.find("row 3 is missing"), std::string::npos) << out;
  const json b = broken();
  EXPECT_EQ(b["seq"], 4);
  EXPECT_EQ(b["reason"], "deleted");
}

TEST_F(AuditTampering, SwappedRowsAreReportedAsReordered) {
  ASSERT_EQ(exec("UPDATE audit_log SET seq = -1 WHERE seq = 2;"
                 "UPDATE audit_log SET seq = 2 WHERE seq = 3;"
                 "UPDATE audit_log SET seq = 3 WHERE seq = -1;"),
            SQLITE_OK);
  std::string out;
  EXPECT_EQ(verify(out), 3) << out;
  EXPECT_NE(out.find("BROKEN at row 2 (reordered)"), std::string::npos) << out;
  const json b = broken();
  EXPECT_EQ(b["seq"], 2);
  EXPECT_EQ(b["reason"], "reordered");
}

TEST_F(AuditTampering, TheStopIsTheLastRowAndExportIsJsonLines) {
  std::string out;
  ASSERT_EQ(run({kazasuctl_path(), "audit", "export", "--data-dir", data_dir().string()}, out), 0) << out;
  std::istringstream lines(out);
  std::vector<json> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(json::parse(line));
  ASSERT_GE(rows.size(), 5u);
  EXPECT_EQ(rows.front()["kind"], "start");
  EXPECT_EQ(rows.back()["kind"], "stop");
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i]["seq"], i + 1);
    EXPECT_TRUE(rows[i]["fields"].is_object());
    if (i > 0) {
      EXPECT_EQ(rows[i]["prev_hash"], rows[i - 1]["hash"]);
    }
  }
}

}  // namespace
}  // namespace kazasu::test
