// The library plugin's ledger in its own SQLite file: card links, armed
// counter readers and per-day counters. It stores the purpose-bound token and
// the library's patron number only: no serial, no name, no address, and no
// per-visit history (only daily totals), in the spirit of libraries' promise
// not to keep records of who came when.
#pragma once

#include <sqlite3.h>
#include <kazasu/sqlite.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kazasu::library {

struct Link {
  std::string patron;
  int64_t linked_ms = 0;        // when the current card was linked
  int64_t first_linked_ms = 0;  // when this patron first linked any card; survives relinks
  int64_t relinks = 0;          // how many times a new card replaced an old one
};

/** A link this station made while the shared engine was away. */
struct PendingLink {
  Link link;
  std::string token;
};

struct Arm {
  std::string reader;
  std::string patron;
  int64_t expires_ms = 0;
  std::string command_id;
};

enum class LinkOutcome {
  linked,          // the patron had no card before
  replaced,        // the patron's previous card (e.g. before renewal) was replaced
  unchanged,       // this card was already linked to this patron
  already_linked,  // refused: the card belongs to another patron
};

struct LinkResult {
  LinkOutcome outcome = LinkOutcome::linked;
  std::string linked_patron;  // for already_linked: the patron the card belongs to
};

class LinkStore {
 public:
  /** Uses the host's connection; migrate() must have run once (the plugin does it in create). */
  explicit LinkStore(sqlite3* db) : db_(db) {}

  /** Brings the schema to the newest version; safe to call on every start. */
  void migrate();
  [[nodiscard]] int schema_version() const;

  [[nodiscard]] std::optional<Link> find_by_token(std::string_view token) const;
  [[nodiscard]] std::optional<Link> find_by_patron(std::string_view patron) const;
  /** Links `token` to `patron`, replacing the patron's previous card; refuses a card of another patron. */
  LinkResult link(std::string_view patron, std::string_view token, int64_t now_ms, std::string_view tap_id);
  /** Removes the patron's link; false when there was none. */
  bool unlink(std::string_view patron);

  /** The card token linked to `patron` here. */
  [[nodiscard]] std::optional<std::string> token_of(std::string_view patron) const;
  /** Keeps the engine's link as this station's copy (synced). */
  void remember(const Link& link, std::string_view token);
  /** Drops the copy of a card the engine no longer links (links not yet synced stay). */
  void forget_token(std::string_view token);
  void set_synced(std::string_view patron, bool synced);
  [[nodiscard]] bool synced(std::string_view patron) const;
  /** Links made here that the engine does not have yet, oldest first. */
  [[nodiscard]] std::vector<PendingLink> pending() const;
  /** True the first time `conflict_id` is seen here. */
  bool first_sight(std::string_view conflict_id);

  /** Arms `reader` for `patron` until `expires_ms`; a patron is armed on one reader at a time. */
  void arm(const Arm& arm);
  /** The reader's arm if it has not expired; expired arms are removed on the way. */
  [[nodiscard]] std::optional<Arm> active_arm(std::string_view reader, int64_t now_ms);
  void disarm(std::string_view reader);
  /** Removes the arms of a patron (an unlink cancels a pending link). */
  void disarm_patron(std::string_view patron);

  /**
   * Counts `patron` once on `day` (the `patrons` total); false when already
   * counted. Only the current day's numbers are kept, and only for this.
   */
  bool count_patron(std::string_view day, std::string_view patron);

  /** Adds one to `counter` on `day` (YYYY-MM-DD, station time). */
  void count(std::string_view day, std::string_view counter);
  [[nodiscard]] std::map<std::string, int64_t> counts(std::string_view day) const;

 private:
  sqlite3* db_;
  // Its SQL runs on every tap: prepared once per connection, not per call.
  mutable db::StatementCache sql_{db_};
};

}  // namespace kazasu::library
