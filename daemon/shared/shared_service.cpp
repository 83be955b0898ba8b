#include "shared/shared_service.hpp"

#include <algorithm>
#include <chrono>

#include "core/log.hpp"
#include "shared/pg_engine.hpp"
#include "shared/sqlite_engine.hpp"

namespace kazasu::shared {
namespace {

constexpr int kReplayBatch = 100;
constexpr auto kIdlePoll = std::chrono::seconds(1);
constexpr auto kMaxBackoff = std::chrono::seconds(30);

// A libpq keyword value in single quotes, with ' and \ escaped.
std::string quoted(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::unique_ptr<Engine> make_engine(const SharedConfig& cfg) {
  if (cfg.engine == "postgresql") {
    std::string conninfo = cfg.conninfo;
    if (!cfg.password.empty()) conninfo += " password=" + quoted(cfg.password);
    return std::make_unique<PgEngine>(
        PgEngine::Options{std::move(conninfo), std::chrono::milliseconds(cfg.deadline_ms), 4});
  }
  return std::make_unique<SqliteEngine>(cfg.sqlite_file);
}

}  // namespace

void ensure_local_schema(sqlite::Database& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS kazasu_shared_queue ("
      " seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, entry_id TEXT NOT NULL, body TEXT NOT NULL,"
      " amount INTEGER NOT NULL, at_ms INTEGER NOT NULL, UNIQUE (key, entry_id))");
  db.exec("CREATE TABLE IF NOT EXISTS kazasu_shared_claims (key TEXT PRIMARY KEY, claim_id TEXT NOT NULL)");
}

Service::Service(const SharedConfig& cfg, std::string station, int64_t boot_unix_ms)
    : engine_(make_engine(cfg)), engine_name_(cfg.engine), station_(std::move(station)), boot_unix_ms_(boot_unix_ms) {}

Service::~Service() {
  stop();
}

void Service::attach(const std::string& plugin, const std::filesystem::path& db_file) {
  auto a = std::make_unique<Attached>();
  a->plugin = plugin;
  a->db = std::make_unique<sqlite::Database>(db_file, sqlite::Sync::normal);
  ensure_local_schema(*a->db);
  auto count = a->db->cached("SELECT count(*) FROM kazasu_shared_queue");
  if (count.step()) queued_ += count.int64(0);
  std::lock_guard lock(mutex_);
  attached_.push_back(std::move(a));
}

void Service::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Service::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Service::nudge(int64_t added) {
  queued_ += added;
  {
    std::lock_guard lock(mutex_);
    nudged_ = true;
  }
  wake_.notify_all();
}

Service::Facts Service::facts() const {
  return Facts{engine_name_, reachable_.load(), queued_.load(), conflicts_.load(), released_.load()};
}

void Service::run() {
  auto backoff = std::chrono::milliseconds(0);
  while (true) {
    {
      std::unique_lock lock(mutex_);
      const auto wait = backoff.count() > 0 ? std::chrono::duration_cast<std::chrono::milliseconds>(backoff)
                                            : std::chrono::duration_cast<std::chrono::milliseconds>(kIdlePoll);
      wake_.wait_for(lock, wait, [this, &backoff] { return stopping_ || (nudged_ && backoff.count() == 0); });
      if (stopping_) return;
      nudged_ = false;
    }
    bool away = false;
    for (auto& a : attached_) {  // attach() happens before start()
      if (!a->reconciled && !reconcile(*a)) away = true;
      if (!away && !replay(*a)) away = true;
      if (away) break;
    }
    reachable_ = !away;
    if (away) {
      backoff = std::clamp(backoff * 2, std::chrono::milliseconds(250),
                           std::chrono::duration_cast<std::chrono::milliseconds>(kMaxBackoff));
    } else {
      backoff = std::chrono::milliseconds(0);
    }
  }
}

bool Service::reconcile(Attached& a) {
  const auto held = engine_->claims_of(a.plugin, station_);
  if (!held) return false;
  for (const auto& c : *held) {
    // Claims of this run belong to callbacks that may not have committed yet.
    if (c.at_unix_ms >= boot_unix_ms_) continue;
    auto st = a.db->cached("SELECT 1 FROM kazasu_shared_claims WHERE key = ? AND claim_id = ?");
    st.bind(1, c.key).bind(2, c.claim_id);
    if (st.step()) continue;
    const Status s = engine_->release(a.plugin, c.key, c.claim_id);
    if (s == Status::unavailable) return false;
    ++released_;
    log::warning("released a claim whose tap never committed", "plugin", a.plugin, "claim", c.claim_id);
  }
  a.reconciled = true;
  return true;
}

bool Service::replay(Attached& a) {
  struct Row {
    int64_t seq;
    std::string key, entry_id, body;
    int64_t amount, at_ms;
  };
  while (true) {
    std::vector<Row> rows;
    {
      auto st =
          a.db->cached("SELECT seq, key, entry_id, body, amount, at_ms FROM kazasu_shared_queue ORDER BY seq LIMIT ?");
      st.bind(1, int64_t{kReplayBatch});
      while (st.step()) rows.push_back(Row{st.int64(0), st.text(1), st.text(2), st.text(3), st.int64(4), st.int64(5)});
    }
    if (rows.empty()) return true;
    std::vector<int64_t> done;
    bool away = false;
    for (const auto& r : rows) {
      Status s = Status::ok;
      {
        std::lock_guard lock(a.mutex);
        if (a.in_engine.count(r.seq) == 0) {
          s = engine_->append(a.plugin, r.key, Entry{r.entry_id, r.body, r.amount, station_, r.at_ms});
          if (s == Status::unavailable) {
            away = true;
            break;
          }
          a.in_engine.insert(r.seq);
        }
      }
      if (s == Status::conflict) {
        ++conflicts_;
        log::error("shared entry conflict: the engine holds this id with another body or amount", "plugin", a.plugin,
                   "entry", r.entry_id);
        if (on_conflict) on_conflict(a.plugin, r.key, r.entry_id);
      }
      done.push_back(r.seq);
    }
    // One local transaction for the whole batch: the plugin's own writes
    // wait for it at most once.
    if (!done.empty()) {
      try {
        a.db->exec("BEGIN IMMEDIATE");
        try {
          auto del = a.db->cached("DELETE FROM kazasu_shared_queue WHERE seq = ?");
          for (int64_t seq : done) {
            del.bind(1, seq);
            del.run();
          }
          a.db->exec("COMMIT");
        } catch (...) {
          try {
            a.db->exec("ROLLBACK");
          } catch (...) {  // already gone
          }
          throw;
        }
        queued_ -= static_cast<int64_t>(done.size());
        std::lock_guard lock(a.mutex);
        for (int64_t seq : done) a.in_engine.erase(seq);
      } catch (const std::exception& e) {
        // Busy or full: the rows stay, marked as in the engine, and are deleted next round.
        log::warning("shared queue delete failed; retried", "plugin", a.plugin, "error", e.what());
        return !away;
      }
    }
    if (away) return false;
  }
}

Entries Service::entries(const std::string& plugin, sqlite::Database& db, std::string_view key, size_t limit) {
  Attached* a = nullptr;
  {
    std::lock_guard lock(mutex_);
    for (auto& x : attached_) {
      if (x->plugin == plugin) a = x.get();
    }
  }
  std::unique_lock<std::mutex> hold;
  if (a != nullptr) hold = std::unique_lock(a->mutex);
  Entries out = engine_->entries(plugin, key, limit);
  if (out.status != Status::ok) return out;
  auto st = db.cached("SELECT seq, entry_id, body, amount, at_ms FROM kazasu_shared_queue WHERE key = ? ORDER BY seq");
  st.bind(1, key);
  std::vector<Entry> pending;
  while (st.step()) {
    if (a != nullptr && a->in_engine.count(st.int64(0)) > 0) continue;  // counted by the engine already
    pending.push_back(Entry{st.text(1), st.text(2), st.int64(3), station_, st.int64(4), true});
  }
  if (!pending.empty()) {
    // Rows sent before a crash but not deleted are the engine's already.
    std::vector<std::string> ids;
    for (const auto& p : pending) ids.push_back(p.entry_id);
    const auto held = engine_->held_ids(plugin, key, ids);
    if (!held) return Entries{Status::unavailable, {}, 0, 0, "the engine did not answer"};
    std::erase_if(pending, [&](const Entry& p) { return held->contains(p.entry_id); });
  }
  for (const auto& p : pending) {
    out.sum += p.amount;
    ++out.count;
  }
  // Pending entries are the newest this station knows of: they go first.
  std::reverse(pending.begin(), pending.end());
  out.entries.insert(out.entries.begin(), pending.begin(), pending.end());
  if (out.entries.size() > limit) out.entries.resize(limit);
  return out;
}

}  // namespace kazasu::shared
