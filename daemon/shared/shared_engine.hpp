// Records that the stations of a city share, behind one small interface with
// two engines: SQLite (one file, for one station or several on one machine)
// and PostgreSQL (stations on separate machines). Every record belongs to one
// plugin, so a plugin never sees another plugin's records and the purpose
// binding of tokens holds across stations too.
//
// Three kinds of record, enough for the municipal plugins:
//   claim    a value under a key only if none is there yet, atomically across
//            all stations; the loser learns the holder's value, station, time
//   put/get  a current value with a version, for mappings (token -> patron)
//   append   entries with an idempotency key (a repeat is a no-op), read back
//            with their sum (points ledgers, shift events)
// Calls are thread-safe and bounded by the engine's deadline: an engine that
// cannot answer in time says `unavailable`, never blocks its caller longer.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kazasu::shared {

enum class Status {
  ok,           // done
  exists,       // claim: someone holds the key (record = the holder's); append: the same entry is there already
  conflict,     // put: the expected version did not match (record = the current one, if any);
                // append: the entry id is there with another body or amount
  not_found,    // get, put with an expected version, release: no such record
  unavailable,  // the engine could not be reached or did not answer within the deadline
  invalid,      // a key, value or id outside the limits below
};
const char* to_string(Status s);

/** Limits on what a plugin may store, checked before anything reaches an engine. */
inline constexpr size_t kMaxKeyBytes = 256;
inline constexpr size_t kMaxValueBytes = size_t{16} * 1024;
inline constexpr size_t kMaxEntryIdBytes = 128;
inline constexpr size_t kMaxEntries = 1000;

/** Who writes, and when: the station ("site/station") and the host's clock. */
struct Writer {
  std::string station;
  int64_t at_unix_ms = 0;
};

struct Record {
  std::string value;
  int64_t version = 0;  // 1 for a new record; +1 for every put
  std::string station;  // who wrote the current value
  int64_t at_unix_ms = 0;
  std::string claim_id;  // the tap that claimed it; empty for a put
};

struct Result {
  Status status = Status::unavailable;
  Record record;
  std::string detail;  // for logs when unavailable or invalid
};

struct Entry {
  std::string entry_id;
  std::string body;
  int64_t amount = 0;
  std::string station;
  int64_t at_unix_ms = 0;
  bool pending = false;  // made here, not on the engine yet (Service::entries only)
};

struct Entries {
  Status status = Status::unavailable;
  std::vector<Entry> entries;  // newest first, at most the limit asked for
  int64_t sum = 0;             // over all of the key's entries, not only those returned
  int64_t count = 0;           // all of the key's entries
  std::string detail;
};

/** A claim recorded by a station, for reconciling claims whose tap never committed. */
struct HeldClaim {
  std::string key;
  std::string claim_id;
  int64_t at_unix_ms = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  /** The engine's name for logs: "sqlite" or "postgresql". */
  [[nodiscard]] virtual const char* name() const = 0;

  /** Records `value` under `key` unless a record is there. ok: ours; exists: the holder's. */
  virtual Result claim(std::string_view plugin, std::string_view key, std::string_view value, std::string_view claim_id,
                       const Writer& writer) = 0;
  /** Removes the claim `claim_id` made (its tap did not commit); not_found when it is not there. */
  virtual Status release(std::string_view plugin, std::string_view key, std::string_view claim_id) = 0;
  virtual Result get(std::string_view plugin, std::string_view key) = 0;
  /**
   * Sets (or, with no value, deletes) the record. `expected_version`: -1
   * whatever is there; 0 only when nothing is; n only when the current
   * version is n. ok: record = the new one (deleted: the old one); conflict:
   * record = the current one.
   */
  virtual Result put(std::string_view plugin, std::string_view key, std::optional<std::string_view> value,
                     int64_t expected_version, const Writer& writer) = 0;
  /** Adds an entry under `key` once per `entry.entry_id`. */
  virtual Status append(std::string_view plugin, std::string_view key, const Entry& entry) = 0;
  /** The key's newest entries (at most `limit`) and the sum and count of all of them. */
  virtual Entries entries(std::string_view plugin, std::string_view key, size_t limit) = 0;
  /**
   * Which of `ids` the engine already holds under `key`: a station that
   * crashed between the engine's answer and its local delete has rows queued
   * that the engine counts already. nullopt when unavailable.
   */
  virtual std::optional<std::set<std::string>> held_ids(std::string_view plugin, std::string_view key,
                                                        const std::vector<std::string>& ids) = 0;
  /** Claims `station` holds for `plugin` (for reconciling after a crash); nullopt when unavailable. */
  virtual std::optional<std::vector<HeldClaim>> claims_of(std::string_view plugin, std::string_view station) = 0;
};

/** Checks a key/value/id against the limits: nullopt when fine, else a sentence. */
std::optional<std::string> check_key(std::string_view key);
std::optional<std::string> check_value(std::string_view value);
std::optional<std::string> check_entry_id(std::string_view id);

}  // namespace kazasu::shared
