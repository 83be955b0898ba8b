#include "outbox/outbox.hpp"

namespace kazasu::outbox {

void ensure_schema(sqlite::Database& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS kazasu_outbox ("
      " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
      " msg_id TEXT NOT NULL,"
      " topic TEXT NOT NULL,"
      " payload TEXT NOT NULL,"
      " created_unix_ms INTEGER NOT NULL,"
      " retained INTEGER NOT NULL DEFAULT 0)");
  // Files made before retained outcomes existed get the column.
  auto cols = db.prepare("SELECT count(*) FROM pragma_table_info('kazasu_outbox') WHERE name = 'retained'");
  if (cols.step() && cols.int64(0) == 0)
    db.exec("ALTER TABLE kazasu_outbox ADD COLUMN retained INTEGER NOT NULL DEFAULT 0");
}

int64_t append(sqlite::Database& db, const std::string& msg_id, const std::string& topic, const std::string& payload,
               int64_t created_unix_ms, bool retained) {
  auto st =
      db.cached("INSERT INTO kazasu_outbox(msg_id, topic, payload, created_unix_ms, retained) VALUES (?,?,?,?,?)");
  st.bind(1, msg_id).bind(2, topic).bind(3, payload).bind(4, created_unix_ms).bind(5, int64_t{retained ? 1 : 0});
  st.run();
  return sqlite3_last_insert_rowid(db.handle());
}

std::vector<OutboxMessage> pending(sqlite::Database& db) {
  std::vector<OutboxMessage> out;
  auto st = db.prepare("SELECT seq, msg_id, topic, payload, retained FROM kazasu_outbox ORDER BY seq");
  while (st.step()) out.push_back(OutboxMessage{st.int64(0), st.text(1), st.text(2), st.text(3), st.int64(4) != 0});
  return out;
}

std::vector<OutboxMessage> pending_after(sqlite::Database& db, int64_t after_seq, size_t limit) {
  std::vector<OutboxMessage> out;
  auto st =
      db.cached("SELECT seq, msg_id, topic, payload, retained FROM kazasu_outbox WHERE seq > ? ORDER BY seq LIMIT ?");
  st.bind(1, after_seq);
  st.bind(2, static_cast<int64_t>(limit));
  while (st.step()) out.push_back(OutboxMessage{st.int64(0), st.text(1), st.text(2), st.text(3), st.int64(4) != 0});
  return out;
}

void remove(sqlite::Database& db, const std::vector<int64_t>& seqs) {
  if (seqs.empty()) return;
  db.run("BEGIN IMMEDIATE");
  try {
    auto st = db.cached("DELETE FROM kazasu_outbox WHERE seq = ?");
    for (int64_t s : seqs) {
      st.bind(1, s);
      st.run();
    }
    db.run("COMMIT");
  } catch (...) {
    db.run("ROLLBACK");
    throw;
  }
}

int64_t count(sqlite::Database& db) {
  auto st = db.cached("SELECT count(*) FROM kazasu_outbox");
  return st.step() ? st.int64(0) : 0;
}

}  // namespace kazasu::outbox
