// kazasu plugin SDK, optional: schema migrations for the plugin's own SQLite
// database (host().database()). Needs sqlite3.h and libsqlite3.
//
// A plugin lists its schema as steps, oldest first; schema version N is the
// state after the first N steps and is kept in `PRAGMA user_version`. Append
// only: a shipped step is never edited, since stations upgrade from any
// version. Call migrate() from the plugin's constructor (create), where the
// database is open:
//
//   constexpr const char* kSteps[] = {
//       "CREATE TABLE visits (token TEXT PRIMARY KEY, n INTEGER NOT NULL);",  // v1
//       "ALTER TABLE visits ADD COLUMN last_ms INTEGER;",                     // v2
//   };
//   kazasu::db::migrate(host.database(), "hello", kSteps);
//
// All steps run inside one SAVEPOINT, which works both inside the host's
// transaction and outside one, so a failing step never leaves a half-migrated
// file. A database newer than the plugin (a downgrade) is refused.
#pragma once

#include <sqlite3.h>

#include <span>
#include <string>
#include <string_view>

#include "kazasu/sqlite.hpp"

namespace kazasu::db {

/** The schema version kept in `PRAGMA user_version` (0 for a new database). */
inline int schema_version(sqlite3* db) {
  Statement st(db, "PRAGMA user_version");
  return st.step() ? static_cast<int>(st.int64(0)) : 0;
}

/**
 * Brings the database to version `steps.size()` by running the steps it has
 * not had yet. `plugin` names the database in the error for a database newer
 * than `steps` (throws SqlError); any failing step throws SqlError too, with
 * nothing changed.
 */
inline void migrate(sqlite3* db, std::string_view plugin, std::span<const char* const> steps) {
  exec(db, "SAVEPOINT kazasu_migrate");
  try {
    const int from = schema_version(db);
    const int newest = static_cast<int>(steps.size());
    if (from > newest) {
      throw SqlError("the " + std::string(plugin) + " database has schema version " + std::to_string(from) +
                     ", newer than this plugin knows (" + std::to_string(newest) +
                     "); install the newer plugin or restore a backup");
    }
    for (int v = from; v < newest; ++v) {
      exec(db, steps[static_cast<size_t>(v)]);
      exec(db, ("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
    }
    exec(db, "RELEASE kazasu_migrate");
  } catch (...) {
    try {
      exec(db, "ROLLBACK TO kazasu_migrate; RELEASE kazasu_migrate");
    } catch (...) {  // keep the first error
    }
    throw;
  }
}

}  // namespace kazasu::db
