// SIP2 (3M Standard Interchange Protocol 2.00) messages the library plugin
// needs: Login (93/94), Patron Status (23/24), Patron Information (63/64) and
// the two resend requests (96/97). Pure functions over strings, so the wire
// format and the checksum are unit-tested without a socket.
//
// A message is: a 2-digit code, a fixed-length part, then variable fields
// `IDvalue|`; with error detection it ends in `AY<seq>AZ<checksum>`; every
// message ends with a carriage return.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kazasu::library::sip2 {

inline constexpr char kTerminator = '\r';

/**
 * The SIP2 checksum of `text` (everything up to and including "AZ"): the
 * binary sum of its bytes, negated in 16 bits, as 4 upper-case hex digits.
 * The receiver adds the bytes and the checksum's value and expects 0.
 */
std::string checksum(std::string_view text);

/**
 * Finishes a message given in wire bytes: appends `AY<seq>AZ<checksum>` when
 * `seq` is set (error detection), then the CR terminator.
 */
std::string seal(std::string_view body, std::optional<int> seq);

/** "YYYYMMDDZZZZHHMMSS" in station time; ZZZZ is four blanks, meaning local time. */
std::string transaction_date(int64_t unix_ms, int32_t utc_offset_seconds);

struct LoginRequest {
  std::string user;
  std::string password;
  std::string location;
};
/** 93: UID and password algorithm '0' (plain), CN, CO, CP. */
std::string login_body(const LoginRequest& r);

struct PatronRequest {
  std::string institution;  // AO
  std::string patron;       // AA: the patron number the ILS knows, never card data
  std::string date;         // transaction_date()
};
/** 63 with a blank summary: counts and limits, no item lists. */
std::string patron_information_body(const PatronRequest& r);
/** 23. */
std::string patron_status_body(const PatronRequest& r);
/** 97: asks the ACS to send its last response again. */
std::string request_resend_body();

/** One response, split into its parts, decoded to UTF-8. */
struct Response {
  std::string code;   // "94", "24", "64", "96", ...
  std::string fixed;  // the fixed-length part after the code
  std::vector<std::pair<std::string, std::string>> fields;
  std::optional<int> sequence;  // AY, when the ACS sent one

  [[nodiscard]] std::optional<std::string> field(std::string_view id) const;
  [[nodiscard]] std::vector<std::string> all(std::string_view id) const;
};

enum class ParseError { none, empty, bad_checksum, too_short };

/** Converts the ILS's bytes to UTF-8 (Charset::from_wire; identity in tests). */
using Decode = std::function<std::string(std::string_view)>;

/**
 * Checks a response's AZ checksum (when it has one) on the wire bytes, then
 * decodes it and splits it into code, fixed part and fields. Decoding comes
 * before splitting because a Shift_JIS trail byte can equal '|'.
 */
ParseError parse(std::string_view wire, const Decode& decode, Response& out);

/** The fixed-part length of response `code`, or -1 for a code this client does not read. */
int fixed_length_of(std::string_view code);

/** What the plugin publishes of a 24 or 64: counts and flags, never the name (AE) or address. */
struct PatronInfo {
  bool valid_patron = false;
  std::optional<bool> valid_password;
  std::string status_mask;  // 14 'Y'/' ' flags; 'Y' at 0 = charge privileges denied
  std::optional<int> holds, overdue_items, charged_items, fine_items;
  std::optional<int> hold_items_limit, overdue_items_limit, charged_items_limit;
  std::string currency;                      // BH
  std::string fee_amount;                    // BV, as the ILS wrote it
  std::vector<std::string> screen_messages;  // AF
};

/**
 * Reads a parsed 24 or 64 whose text is already UTF-8. Returns nullopt when
 * the code is neither or the fixed part is malformed.
 */
std::optional<PatronInfo> patron_info_from(const Response& r);

}  // namespace kazasu::library::sip2
