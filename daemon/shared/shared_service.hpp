// Shared state as the host offers it to plugins (plugin.h, ABI 1.3): the
// engine [shared] configures, this station's name as the writer, the local
// tables that tie shared state to a plugin's own transactions, and one
// replayer thread.
//
// Appends are local first: shared_append writes a row to the plugin's own
// database in the callback's transaction (kazasu_shared_queue), and the
// replayer sends those rows to the engine in order after the commit, or when
// the engine is back, deleting each once the engine has it. An entry is
// therefore never lost (it commits with the tap's outcome) and never doubled
// (the engine keeps one entry per id).
//
// Claims are remembered in the plugin's own database too
// (kazasu_shared_claims, in the callback's transaction). A claim whose
// callback fails is released at once; one whose station crashed before the
// commit is found at the next start (the engine lists the station's claims;
// one made before this start with no local row never committed) and released.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "outbox/sqlite.hpp"
#include "shared/shared_engine.hpp"

namespace kazasu::shared {

/** Creates the local tables in a plugin's database (its own connection, at open). */
void ensure_local_schema(sqlite::Database& db);

class Service {
 public:
  /** Opens the configured engine (PostgreSQL connects lazily: a station starts while city hall is away). */
  Service(const SharedConfig& cfg, std::string station, int64_t boot_unix_ms);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  [[nodiscard]] Engine& engine() { return *engine_; }
  [[nodiscard]] const std::string& station() const { return station_; }

  /** A plugin's database joins replay and reconciling (call before its first callback). */
  void attach(const std::string& plugin, const std::filesystem::path& db_file);
  /** Wakes the replayer: a commit added `added` rows to a queue. */
  void nudge(int64_t added = 0);
  /** Starts the replayer thread. */
  void start();
  /** Stops it (joins; at most one engine deadline). */
  void stop();

  /**
   * Reads a key's entries for a plugin on its strand: the engine's, plus the
   * rows still queued in `db` (the plugin's own connection, inside its
   * transaction) that the engine does not have yet.
   */
  Entries entries(const std::string& plugin, sqlite::Database& db, std::string_view key, size_t limit);

  /** Called on the replayer thread for an entry the engine holds with another body or amount. */
  std::function<void(const std::string& plugin, const std::string& key, const std::string& entry_id)> on_conflict;

  struct Facts {
    std::string engine;
    bool reachable = true;  // the last call to the engine answered
    int64_t queued = 0;     // entries waiting for the engine, all plugins
    uint64_t conflicts = 0;
    uint64_t released_claims = 0;
  };
  [[nodiscard]] Facts facts() const;

 private:
  struct Attached {
    std::string plugin;
    std::unique_ptr<sqlite::Database> db;  // the replayer's own connection
    bool reconciled = false;
    std::mutex mutex;             // held while a row is on its way, so entries() never counts it twice
    std::set<int64_t> in_engine;  // rows the engine has that are not deleted locally yet
  };
  void run();
  bool replay(Attached& a);     // false: the engine is away
  bool reconcile(Attached& a);  // false: the engine is away

  std::unique_ptr<Engine> engine_;
  std::string engine_name_;
  std::string station_;
  int64_t boot_unix_ms_;
  std::vector<std::unique_ptr<Attached>> attached_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool nudged_ = false;
  bool stopping_ = false;
  std::atomic<bool> reachable_{true};
  std::atomic<int64_t> queued_{0};
  std::atomic<uint64_t> conflicts_{0};
  std::atomic<uint64_t> released_{0};
};

}  // namespace kazasu::shared
