#include "audit/audit_chain.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace kazasu::audit {
namespace {

struct FreeMdCtx {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

std::string hex(const unsigned char* bytes, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0xF]);
  }
  return out;
}

}  // namespace

std::string canonical_text(int64_t seq, int64_t at_ms, std::string_view kind, std::string_view fields) {
  std::string text = std::to_string(seq);
  text += '\n';
  text += std::to_string(at_ms);
  text += '\n';
  text += kind;
  text += '\n';
  text += fields;
  return text;
}

std::string row_hash(std::string_view prev_hash, int64_t seq, int64_t at_ms, std::string_view kind,
                     std::string_view fields) {
  const std::unique_ptr<EVP_MD_CTX, FreeMdCtx> ctx(EVP_MD_CTX_new());
  const std::string text = canonical_text(seq, at_ms, kind, fields);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), prev_hash.data(), prev_hash.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), text.data(), text.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1) {
    throw std::runtime_error("SHA-256 is not available from OpenSSL");
  }
  return hex(digest, len);
}

const char* to_string(BreakReason reason) {
  switch (reason) {
    case BreakReason::deleted:
      return "deleted";
    case BreakReason::reordered:
      return "reordered";
    case BreakReason::edited:
      return "edited";
  }
  return "edited";
}

bool ChainVerifier::feed(const Row& row) {
  if (break_) return false;
  const int64_t want = last_seq_ + 1;
  if (row.seq != want) {
    if (row.seq > want) {
      break_ = Break{
          row.seq, BreakReason::deleted,
          "row " + std::to_string(row.seq) + " follows row " + std::to_string(last_seq_) + ": " +
              (row.seq - want == 1 ? "row " + std::to_string(want) + " is"
                                   : "rows " + std::to_string(want) + ".." + std::to_string(row.seq - 1) + " are") +
              " missing (deleted)"};
    } else {
      break_ = Break{row.seq, BreakReason::reordered,
                     "row " + std::to_string(row.seq) + " comes after row " + std::to_string(last_seq_) +
                         " (duplicated or reordered)"};
    }
    return false;
  }
  if (row.prev_hash != prev_hash_) {
    break_ = Break{row.seq, BreakReason::reordered,
                   "row " + std::to_string(row.seq) + " does not follow " +
                       (last_seq_ == 0 ? std::string("the start of the log") : "row " + std::to_string(last_seq_)) +
                       ": its prev_hash is not that row's hash (rows reordered, or the previous row edited and "
                       "re-hashed)"};
    return false;
  }
  if (row.hash != row_hash(row.prev_hash, row.seq, row.at_ms, row.kind, row.fields)) {
    break_ = Break{row.seq, BreakReason::edited,
                   "row " + std::to_string(row.seq) + " does not match its hash: its content was edited"};
    return false;
  }
  ++rows_;
  last_seq_ = row.seq;
  prev_hash_ = row.hash;
  return true;
}

}  // namespace kazasu::audit
