// The durable outbox: every outcome is a row before it is a message. Each
// database file (the daemon's and every plugin's) carries its own outbox table,
// so a plugin's ledger change and its outcome commit in one transaction; a row
// is deleted only after the broker acknowledged it (PUBACK).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "outbox/sqlite.hpp"

namespace kazasu {

struct OutboxMessage {
  int64_t seq = 0;     // row id within its outbox file
  std::string msg_id;  // the tap or event id (UUIDv7): publish order across files
  std::string topic;
  std::string payload;
  bool retained = false;
};

namespace outbox {

/** Creates the outbox table in `db` if it is not there. */
void ensure_schema(sqlite::Database& db);
/** Appends a row inside whatever transaction `db` has open; returns its seq. */
int64_t append(sqlite::Database& db, const std::string& msg_id, const std::string& topic, const std::string& payload,
               int64_t created_unix_ms, bool retained = false);
/** Every row not yet acknowledged, oldest first. */
std::vector<OutboxMessage> pending(sqlite::Database& db);
/** At most `limit` rows after row `after_seq`, oldest first. */
std::vector<OutboxMessage> pending_after(sqlite::Database& db, int64_t after_seq, size_t limit);
/** Deletes acknowledged rows. */
void remove(sqlite::Database& db, const std::vector<int64_t>& seqs);
/** Rows waiting. */
int64_t count(sqlite::Database& db);

}  // namespace outbox
}  // namespace kazasu
