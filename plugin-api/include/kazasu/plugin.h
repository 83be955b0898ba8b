/*
 * kazasu plugin ABI, version 1.3 (docs/plugins.md has the changelog).
 *
 * This header is the whole contract between kazasud and a plugin. It depends
 * on nothing but the C standard library so that a plugin built by another
 * compiler, or years later, still loads.
 *
 * Rules that keep the ABI stable:
 *  - Every struct that crosses the boundary starts with its own size
 *    (`struct_size`). A reader checks the size before it touches a field that
 *    was appended later.
 *  - The host only ever appends to its structs; a new entry bumps the minor
 *    version and says "Appended in 1.N". A change that breaks old plugins
 *    bumps the major version, and the host refuses plugins of another major.
 *  - Arrays of structs carry their element size too (the descriptor's
 *    `setting_size`), so an element may grow without breaking old plugins.
 *  - Handshake (after mosquitto v5): the host calls the plugin's single
 *    exported symbol `kazasu_plugin_entry` with the ABI versions it speaks;
 *    the plugin answers with a descriptor naming the one it uses.
 *  - Strings are UTF-8, NUL-terminated, and owned by whoever passed them; they
 *    are valid for the duration of the call only unless stated otherwise.
 *  - Nothing may unwind across the boundary: a C++ plugin catches every
 *    exception (the SDK in kazasu/plugin.hpp does this for you).
 *
 * Threading: the host calls one plugin instance from one thread at a time (its
 * strand), but not always the same thread. Host functions taking a context may
 * be called only from inside a callback of that instance.
 */
#ifndef KAZASU_PLUGIN_H
#define KAZASU_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI major version this header describes. */
#define KAZASU_ABI_MAJOR 1
/** The ABI minor version this header describes. */
#define KAZASU_ABI_MINOR 4
/** Packs a major and minor version into one number, as offered by the host. */
#define KAZASU_ABI_VERSION(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))

/** Visibility for the one symbol a plugin exports (build with -fvisibility=hidden). */
#if defined(__GNUC__)
#define KAZASU_EXPORT __attribute__((visibility("default")))
#else
#define KAZASU_EXPORT
#endif

/** Name of the entry symbol the host looks up. */
#define KAZASU_PLUGIN_ENTRY_SYMBOL "kazasu_plugin_entry"

/** Result codes of plugin callbacks and host functions. */
typedef enum kazasu_status {
  KAZASU_OK = 0,          /**< success */
  KAZASU_ERROR = 1,       /**< failure; the host turns it into an `error` outcome */
  KAZASU_INVALID = 2,     /**< an argument was malformed (bad JSON, bad name) */
  KAZASU_NOT_ALLOWED = 3, /**< the call is not allowed here (outside a tap, not granted) */
} kazasu_status;

/** Log levels, matching syslog/journald priorities. */
typedef enum kazasu_log_level {
  KAZASU_LOG_ERROR = 3,
  KAZASU_LOG_WARNING = 4,
  KAZASU_LOG_NOTICE = 5,
  KAZASU_LOG_INFO = 6,
  KAZASU_LOG_DEBUG = 7,
} kazasu_log_level;

/** Types of a declared setting. */
typedef enum kazasu_setting_type {
  KAZASU_SETTING_STRING = 1,
  KAZASU_SETTING_INTEGER = 2,
  KAZASU_SETTING_BOOLEAN = 3,
  KAZASU_SETTING_FLOAT = 4,
  KAZASU_SETTING_STRING_LIST = 5,
} kazasu_setting_type;

/**
 * One setting a plugin accepts under `[plugins.NAME.config]`. The host rejects
 * unknown keys and wrong types with `file:line: key: what is wrong` before the
 * plugin is created, and `kazasud --help-plugin NAME` prints these.
 *
 * An element of the descriptor's `settings` array: the host steps through it
 * by the descriptor's `setting_size` (1.2), so fields may be appended here
 * later. Before 1.2 the element was exactly this struct as of 1.1.
 */
typedef struct kazasu_setting {
  const char* name;          /**< key, e.g. "greeting" */
  kazasu_setting_type type;  /**< expected TOML type */
  const char* default_value; /**< default as TOML/JSON literal text, or NULL if required */
  const char* description;   /**< one sentence for the docs */
  int64_t min_value;         /**< integers: the smallest value allowed, when min_value < max_value */
  int64_t max_value;         /**< integers: the largest value allowed; both 0 means no range */
} kazasu_setting;

/** Opaque per-instance context the host hands to every host function. */
typedef struct kazasu_context kazasu_context;

/** Opaque SQLite handle (struct sqlite3 from sqlite3.h); the plugin links libsqlite3 itself. */
struct sqlite3;

/**
 * The card's basic four (基本4情報), read from the card-face input support
 * AP with the holder's card-face PIN. Only a plugin granted the
 * `card.basic_info` permission in its `[plugins.NAME] permissions` ever sees
 * them, and only for the tap in hand: match them and forget them. Never copy
 * them into the database, a log line or an outcome; the host wipes them after
 * `on_tap` returns.
 */
typedef struct kazasu_basic_info {
  uint32_t struct_size;   /**< sizeof(kazasu_basic_info) as the host knows it */
  const char* name;       /**< 氏名, UTF-8; family and given names separated by U+3000 */
  const char* address;    /**< 住所, UTF-8, as printed on the card */
  const char* birth_date; /**< 生年月日, "YYYYMMDD" (Gregorian) */
  const char* sex;        /**< 性別, ISO 5218: "1" male, "2" female, "9" not applicable, "0" not known */
} kazasu_basic_info;

/**
 * One tap, as a plugin sees it. The identity is a purpose-bound token: the
 * same card gives a different token to every plugin, and no serial, UID or
 * free-area ID ever appears here.
 */
typedef struct kazasu_tap {
  uint32_t struct_size;     /**< sizeof(kazasu_tap) as the host knows it */
  const char* id;           /**< tap id, a UUIDv7 in text form; unique and time-ordered */
  const char* reader;       /**< reader name from config, e.g. "counter-1" */
  const char* status;       /**< "ok" when the card was identified, else a reason such as
                                 "read_failed", "expired", "untrusted", "pin_locked" */
  const char* message;      /**< a staff-readable sentence explaining `status` */
  const char* card_kind;    /**< "jpki", "freearea", "uid", or "" when unknown */
  const char* assurance;    /**< "fast", "verified", "possession", "uid", or "" */
  const char* token;        /**< 64 hex chars, HMAC-SHA256 bound to this plugin; NULL unless status is "ok" */
  int64_t detected_unix_ms; /**< wall-clock time the card was detected */

  /* Appended in ABI 1.1: read only when struct_size covers them. */

  /**
   * "" unless this plugin is granted `card.basic_info`. Then "read"
   * (`basic_info` is set), "no_pin" (no card-face PIN was entered for the
   * tap), "pin_wrong" (the message gives the tries left), "pin_locked",
   * "not_available" (no card-face AP, the card was not identified, or the
   * reader cannot read it) or "read_failed".
   */
  const char* basic_info_status;
  const char* basic_info_message;      /**< a staff-readable sentence explaining `basic_info_status` */
  const kazasu_basic_info* basic_info; /**< the basic four when `basic_info_status` is "read", else NULL */
} kazasu_tap;

/**
 * A command from a facility PC, published to `{plugin}/cmd/{name}` with an
 * MQTT v5 response topic. The host answers on that topic with what the plugin
 * passes to host->reply or host->reply_error.
 */
typedef struct kazasu_command {
  uint32_t struct_size;     /**< sizeof(kazasu_command) as the host knows it */
  const char* id;           /**< a UUIDv7 the host gave this command; outcomes it publishes carry it */
  const char* name;         /**< `{name}`: lower-case [a-z0-9_] */
  const char* payload_json; /**< the request: a JSON object */
} kazasu_command;

/**
 * Shared state (appended in 1.3): records the stations of a city share, on
 * the engine IT staff configure in `[shared]` (one SQLite file by default,
 * PostgreSQL for stations on separate machines). Every record belongs to the
 * calling plugin: a plugin never sees another plugin's records, so a token
 * stays bound to its purpose across stations too. Keys are 1 to 256 bytes,
 * values and entry bodies at most 16 KiB of UTF-8 (JSON by convention), entry
 * ids 1 to 128 bytes. The calls may be made only inside `on_tap`,
 * `on_command` and `on_timer`.
 */
typedef enum kazasu_shared_status {
  KAZASU_SHARED_OK = 0,          /**< done */
  KAZASU_SHARED_EXISTS = 1,      /**< claim: another holds the key (`record` is the holder's) */
  KAZASU_SHARED_CONFLICT = 2,    /**< put: the expected version did not match (`record` is the current one) */
  KAZASU_SHARED_NOT_FOUND = 3,   /**< get, or put with an expected version: no record */
  KAZASU_SHARED_UNAVAILABLE = 4, /**< the engine did not answer within [shared] deadline_ms: decide yourself */
  KAZASU_SHARED_INVALID = 5,     /**< a key, value or id outside the limits */
  KAZASU_SHARED_NOT_ALLOWED = 6, /**< called outside a callback */
} kazasu_shared_status;

/**
 * A shared record as the host reports it. The caller sets `struct_size`; the
 * host fills the fields that fit. Strings are the host's, valid until the
 * callback returns.
 */
typedef struct kazasu_shared_record {
  uint32_t struct_size;
  const char* value;   /**< the value as stored */
  int64_t version;     /**< 1 for a new record, +1 for every put */
  const char* station; /**< "site/station" that wrote the value */
  int64_t at_unix_ms;  /**< when, on that station's clock */
} kazasu_shared_record;

/** A key's entries as the host reports them; strings valid until the callback returns. */
typedef struct kazasu_shared_entries {
  uint32_t struct_size;
  /**
   * A JSON array, newest first: objects with `id`, `body` (the text given to
   * shared_append), `amount`, `station`, `at_unix_ms`, and `pending` (true for
   * an entry this station made that has not reached the engine yet).
   */
  const char* entries_json;
  int64_t sum;   /**< of every entry's amount, pending ones included */
  int64_t count; /**< every entry, pending ones included */
} kazasu_shared_entries;

/**
 * Services the host offers. Handed to `create` and valid until `destroy`.
 * Appended to only; check `struct_size` before using an entry that a newer
 * minor version added.
 */
typedef struct kazasu_host {
  uint32_t struct_size; /**< sizeof(kazasu_host) as the host knows it */
  uint16_t abi_major;   /**< the host's ABI major */
  uint16_t abi_minor;   /**< the host's ABI minor */

  /** Writes one log line tagged with the plugin's name. Never log tokens or personal data. */
  void (*log)(kazasu_context* ctx, kazasu_log_level level, const char* message);

  /**
   * Publishes an outcome `{plugin}/{event}`. `fields_json` must be a JSON
   * object; the host adds `schema`, `id`, `ts`, `station`, `reader`, `plugin`
   * and `event`, which the plugin may not set. Inside `on_tap` the outcome
   * carries the tap's id and is committed to the outbox in the same SQLite
   * transaction as the plugin's own database changes. `event` is lower-case
   * [a-z0-9_], 1 to 64 characters, and not "cmd" or "error".
   * Returns KAZASU_INVALID for a bad event name or bad JSON.
   */
  kazasu_status (*publish)(kazasu_context* ctx, const char* event, const char* fields_json);

  /**
   * The plugin's own SQLite database (WAL). During `on_tap`, `on_command`
   * and `on_timer` a transaction is open on it; the host commits it with the
   * outbox rows when the callback returns KAZASU_OK and rolls it back
   * otherwise. Do not BEGIN/COMMIT yourself inside a callback; use
   * SAVEPOINTs if you need nesting.
   *
   * Lifetime: the same pointer from `create` until `destroy` returns; keeping
   * it in the instance is fine. It belongs to the host: never sqlite3_close()
   * it, never change its journal mode or synchronous setting, and use it only
   * from inside a callback (the host runs the instance on one strand). Call
   * it through the SQLite library the process already has (link libsqlite3;
   * do not link a second, static SQLite into the plugin).
   */
  struct sqlite3* (*database)(kazasu_context* ctx);

  /**
   * The plugin's `[plugins.NAME.config]` table as a JSON object, defaults
   * filled in. Lifetime: the same string from `create` until `destroy`
   * returns; it does not change while the instance lives (a changed config
   * takes effect with a new instance).
   */
  const char* (*config_json)(kazasu_context* ctx);

  /** Wall-clock time in milliseconds since the Unix epoch (the host may set it in tests). */
  int64_t (*now_unix_ms)(kazasu_context* ctx);

  /** The station's UTC offset in seconds (e.g. 32400 for Japan), for day boundaries. */
  int32_t (*utc_offset_seconds)(kazasu_context* ctx);

  /* Appended during 1.0, before its first release: every 1.0 host that
   * shipped has the entries below up to publish_retained. The SDK checks
   * struct_size before calling any of them all the same. */

  /**
   * Inside `on_command` only: the successful answer, a JSON object sent as
   * the reply's `result`. Without a call, an OK return answers `{}`.
   * Returns KAZASU_NOT_ALLOWED outside `on_command` and KAZASU_INVALID (and
   * fails the command with `plugin_error`) when `result_json` is not a JSON
   * object.
   */
  kazasu_status (*reply)(kazasu_context* ctx, const char* result_json);

  /**
   * Inside `on_command` only: a refusal with a machine-readable `code`
   * ([a-z0-9_], e.g. "already_linked") and a staff-readable `message`. The
   * command's database changes are rolled back. A malformed code becomes
   * "plugin_error". Returns KAZASU_NOT_ALLOWED outside `on_command`.
   */
  kazasu_status (*reply_error)(kazasu_context* ctx, const char* code, const char* message);

  /**
   * Arms (or re-arms) the one-shot timer `timer_id` of this instance to fire
   * at `due_unix_ms` on the host's clock; `on_timer` then runs on the
   * plugin's strand. Timers do not survive a restart: re-arm them in `create`
   * from your own database. A due time in the past fires at once.
   * Returns KAZASU_NOT_ALLOWED when the plugin has no `on_timer`.
   */
  kazasu_status (*set_timer)(kazasu_context* ctx, uint64_t timer_id, int64_t due_unix_ms);

  /** Disarms timer `timer_id`; unknown ids are ignored (KAZASU_OK). */
  kazasu_status (*cancel_timer)(kazasu_context* ctx, uint64_t timer_id);

  /**
   * Like `publish`, but the broker keeps the message as the topic's current
   * state (MQTT retained), e.g. a live roster. Durable and ordered like
   * every outcome. Returns like `publish`.
   */
  kazasu_status (*publish_retained)(kazasu_context* ctx, const char* event, const char* fields_json);

  /* Appended in 1.3: shared state (see kazasu_shared_status). */

  /**
   * Records `value` under `key` unless a record is there, atomically across
   * every station of the engine. KAZASU_SHARED_OK: the key is ours;
   * KAZASU_SHARED_EXISTS: `holder` says who has it, where and when. The
   * claim belongs to this callback's transaction: when the callback fails,
   * times out or its commit fails, or the station crashes before the commit,
   * the host releases it, so a claim and the outcome always agree. A claim
   * cannot be undone by the plugin; put with a version to change the value.
   * KAZASU_SHARED_UNAVAILABLE: nothing is known; e.g. refuse and send staff
   * to the paper procedure.
   */
  kazasu_shared_status (*shared_claim)(kazasu_context* ctx, const char* key, const char* value,
                                       kazasu_shared_record* holder);

  /** Reads the record under `key` into `record` (OK, NOT_FOUND or UNAVAILABLE). */
  kazasu_shared_status (*shared_get)(kazasu_context* ctx, const char* key, kazasu_shared_record* record);

  /**
   * Sets `key` to `value`, or deletes it when `value` is NULL.
   * `expected_version`: -1 whatever is there, 0 only when nothing is, n only
   * when the current version is n (else CONFLICT with the current record in
   * `record`, or NOT_FOUND). A put takes effect at once on the engine,
   * whatever the callback returns afterwards: make it the callback's last
   * step. UNAVAILABLE: nothing was written.
   */
  kazasu_shared_status (*shared_put)(kazasu_context* ctx, const char* key, const char* value, int64_t expected_version,
                                     kazasu_shared_record* record);

  /**
   * Adds an entry under `key` once per `entry_id` (a repeat with the same
   * body and amount is a no-op). The entry is written to this plugin's own
   * database in the callback's transaction and reaches the engine right after
   * the commit, or, while the engine is away, when it returns, in order: it
   * is never lost and never doubled. KAZASU_SHARED_OK means recorded here.
   * An entry id found on the engine with another body or amount is a
   * conflict: reported as a `{plugin}/shared_conflict` outcome and in the
   * log, never merged.
   */
  kazasu_shared_status (*shared_append)(kazasu_context* ctx, const char* key, const char* entry_id, const char* body,
                                        int64_t amount);

  /**
   * The newest `limit` (at most 1000) entries under `key` and the sum and
   * count of all of them, this station's pending entries included.
   * UNAVAILABLE when the engine is away (the sum would be incomplete).
   */
  kazasu_shared_status (*shared_entries)(kazasu_context* ctx, const char* key, uint32_t limit,
                                         kazasu_shared_entries* out);

  /* Appended in 1.4. */

  /**
   * 1 when this station's link to its broker is encrypted (TLS: ssl://,
   * mqtts://, wss://), else 0. A plugin that may put personal data from its
   * own records into an outcome (the election plugin's declaration) asks
   * this first: on a plain link such data stays out unless the city said so.
   */
  int32_t (*broker_encrypted)(kazasu_context* ctx);
} kazasu_host;

/**
 * What a plugin declares about itself. Returned by `kazasu_plugin_entry`; must
 * stay valid until the library is unloaded (a static is the usual choice).
 */
typedef struct kazasu_plugin_descriptor {
  uint32_t struct_size;           /**< sizeof(kazasu_plugin_descriptor) as the plugin knows it */
  uint16_t abi_major;             /**< chosen ABI major; must be one the host offered */
  uint16_t abi_minor;             /**< chosen ABI minor */
  const char* name;               /**< [a-z][a-z0-9_]*, the MQTT topic segment and token purpose */
  const char* version;            /**< the plugin's own version, e.g. "1.2.0" */
  const char* description;        /**< one sentence */
  const kazasu_setting* settings; /**< declared settings, may be NULL when count is 0 */
  size_t settings_count;

  /**
   * Creates an instance. `host` and `ctx` stay valid until `destroy`.
   * Store the instance pointer in `*instance`. Return KAZASU_OK, or an error
   * after logging why; the host then unloads the plugin and goes on without it.
   * The database is available here: create or migrate your schema now.
   */
  kazasu_status (*create)(const kazasu_host* host, kazasu_context* ctx, void** instance);

  /** Destroys an instance; no callback follows. */
  void (*destroy)(void* instance);

  /**
   * Handles one tap on a reader bound to this plugin. Publish zero or more
   * outcomes with host->publish. Return KAZASU_OK to commit, anything else
   * (or overrunning the time budget) to roll back and have the host publish
   * an `error` outcome for this tap.
   */
  kazasu_status (*on_tap)(void* instance, const kazasu_tap* tap);

  /* Appended during 1.0, before its first release; the host reads each only
   * when struct_size covers it. */

  /**
   * Handles a command; may be NULL when the plugin takes none (every command
   * then gets the error `unknown_command`). Runs on the plugin's strand inside
   * a transaction like `on_tap`: it commits when the plugin returns KAZASU_OK
   * without calling reply_error, and is rolled back otherwise. Answer with
   * host->reply or host->reply_error; outcomes published here carry the
   * command's id and an empty `reader`.
   */
  kazasu_status (*on_command)(void* instance, const kazasu_command* command);

  /**
   * A timer armed with host->set_timer is due; may be NULL when the plugin
   * arms none. Runs on the plugin's strand inside a transaction like
   * `on_tap`; outcomes published here carry a new event id and an empty
   * `reader`. `now_unix_ms` is the host's clock at the call.
   */
  kazasu_status (*on_timer)(void* instance, uint64_t timer_id, int64_t now_unix_ms);

  /**
   * Optional (may be NULL): checks what declared types and ranges cannot,
   * such as "sip2_charset is required when sip2_host is set". Called with the
   * settings JSON (defaults filled in) before `create`, and by
   * `kazasud --check-config`, without an instance. On a problem, write the
   * offending setting's name (or "" for the whole table) into `key` and a
   * sentence into `message` (both NUL-terminated, truncated to their sizes)
   * and return KAZASU_INVALID; the host reports it at the key's line.
   */
  kazasu_status (*check_settings)(const char* settings_json, char* key, size_t key_size, char* message,
                                  size_t message_size);

  /* Appended in 1.2: read only when struct_size covers it. */

  /**
   * sizeof(kazasu_setting) as the plugin knows it: the stride of `settings`.
   * 0, or a descriptor that ends before this field, means the 1.1 element.
   */
  size_t setting_size;
} kazasu_plugin_descriptor;

/**
 * The one symbol a plugin exports. `host_versions` lists the ABI versions the
 * host speaks (KAZASU_ABI_VERSION(major, minor)), best first. Return a
 * descriptor for one of them, or NULL if none fits.
 */
typedef const kazasu_plugin_descriptor* (*kazasu_plugin_entry_fn)(const uint32_t* host_versions, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* KAZASU_PLUGIN_H */
