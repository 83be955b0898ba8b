// The audit log's hash chain, without any storage: every row's hash is
// SHA-256 over the previous row's hash and this row's canonical text, so
// editing, deleting or reordering rows breaks the chain at the first row
// touched. Pure functions and a streaming verifier, unit-tested on their own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kazasu::audit {

/** The `prev_hash` of the first row: 64 zeros. */
inline constexpr std::string_view kGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

/** One row as stored. `fields` is the JSON object text exactly as written. */
struct Row {
  int64_t seq = 0;
  int64_t at_ms = 0;
  std::string kind;
  std::string fields;
  std::string prev_hash;
  std::string hash;
};

/**
 * The text a row's hash covers, after the previous hash:
 * `{seq}\n{at_ms}\n{kind}\n{fields}`. `kind` is a token and `fields` is
 * compact JSON, so neither holds a newline and no two rows share a text.
 */
std::string canonical_text(int64_t seq, int64_t at_ms, std::string_view kind, std::string_view fields);

/** Lower-case hex SHA-256 of `prev_hash` followed by canonical_text(). */
std::string row_hash(std::string_view prev_hash, int64_t seq, int64_t at_ms, std::string_view kind,
                     std::string_view fields);

/** Why the chain breaks at a row. */
enum class BreakReason {
  deleted,    // seq does not follow the previous row's: rows are missing
  reordered,  // prev_hash is not the previous row's hash: the row does not belong here
  edited,     // the row's own hash does not match its content
};
const char* to_string(BreakReason reason);

struct Break {
  int64_t seq = 0;  // the first row that does not verify
  BreakReason reason = BreakReason::edited;
  std::string message;  // one sentence for people
};

/**
 * Checks rows fed in seq order. Per row, in this order: the seq must be the
 * previous one plus one (1 for the first row), else `deleted`; prev_hash must
 * equal the previous row's hash (the genesis hash for the first), else
 * `reordered`; the hash must match the content, else `edited`. After the first
 * break it keeps that break and ignores further rows.
 */
class ChainVerifier {
 public:
  /** Feeds one row; returns false once the chain is broken (this row or earlier). */
  bool feed(const Row& row);
  [[nodiscard]] const std::optional<Break>& broken() const { return break_; }
  [[nodiscard]] int64_t rows() const { return rows_; }
  [[nodiscard]] int64_t last_seq() const { return last_seq_; }
  [[nodiscard]] const std::string& head_hash() const { return prev_hash_; }

 private:
  int64_t rows_ = 0;
  int64_t last_seq_ = 0;
  std::string prev_hash_{kGenesisHash};
  std::optional<Break> break_;
};

}  // namespace kazasu::audit
