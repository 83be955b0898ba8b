#include "sip2_message.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace kazasu::library::sip2 {
namespace {

// Fixed-part lengths after the 2-digit code (SIP2 2.00 message formats):
// 94: ok(1). 24: patron status(14) language(3) date(18).
// 64: patron status(14) language(3) date(18) six 4-digit counts (hold, overdue,
//     charged, fine, recall, unavailable holds).
// 96: nothing.
constexpr int kFixed94 = 1;
constexpr int kFixed24 = 14 + 3 + 18;
constexpr int kFixed64 = 14 + 3 + 18 + 6 * 4;

// "000" is the SIP2 language code for "unknown": the ILS uses its default.
constexpr std::string_view kLanguage = "000";

std::optional<int> number(std::string_view text) {
  // SIP2 counts are blank-padded by some ACSs (Koha writes "   2" in places).
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  int v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

std::optional<bool> yes_no(const std::optional<std::string>& v) {
  if (!v || v->empty()) return std::nullopt;
  return (*v)[0] == 'Y';
}

// Field values may not contain the delimiter; a stray '|' in a patron number
// would shift every field after it.
std::string clean(std::string_view v) {
  std::string out(v);
  for (char& c : out) {
    if (c == '|' || c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

}  // namespace

std::string checksum(std::string_view text) {
  unsigned sum = 0;
  for (const char c : text) sum += static_cast<unsigned char>(c);
  const unsigned value = (~sum + 1U) & 0xFFFFU;
  char out[5];
  std::snprintf(out, sizeof out, "%04X", value);
  return out;
}

std::string seal(std::string_view body, std::optional<int> seq) {
  std::string out(body);
  if (seq) {
    out += "AY";
    out += static_cast<char>('0' + (*seq % 10));
    out += "AZ";
    out += checksum(out);
  }
  out += kTerminator;
  return out;
}

std::string transaction_date(int64_t unix_ms, int32_t utc_offset_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000 + utc_offset_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%04d%02d%02d    %02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return out;
}

std::string login_body(const LoginRequest& r) {
  return "9300CN" + clean(r.user) + "|CO" + clean(r.password) + "|CP" + clean(r.location) + "|";
}

std::string patron_information_body(const PatronRequest& r) {
  // Summary: ten blanks ask for no item list, only the counts and limits.
  return "63" + std::string(kLanguage) + r.date + std::string(10, ' ') + "AO" + clean(r.institution) + "|AA" +
         clean(r.patron) + "|AC|";
}

std::string patron_status_body(const PatronRequest& r) {
  // AC (terminal password) and AD (patron password) are required fields; both empty.
  return "23" + std::string(kLanguage) + r.date + "AO" + clean(r.institution) + "|AA" + clean(r.patron) + "|AC|AD|";
}

std::string request_resend_body() {
  return "97";
}

int fixed_length_of(std::string_view code) {
  if (code == "94") return kFixed94;
  if (code == "24") return kFixed24;
  if (code == "64") return kFixed64;
  if (code == "96") return 0;
  return -1;
}

std::optional<std::string> Response::field(std::string_view id) const {
  for (const auto& [k, v] : fields) {
    if (k == id) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Response::all(std::string_view id) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : fields) {
    if (k == id) out.push_back(v);
  }
  return out;
}

ParseError parse(std::string_view wire, const Decode& decode, Response& out) {
  out = Response{};
  while (!wire.empty() && (wire.back() == '\r' || wire.back() == '\n')) wire.remove_suffix(1);
  while (!wire.empty() && wire.front() == '\n') wire.remove_prefix(1);  // the LF of an ACS ending in CR LF
  if (wire.size() < 2) return ParseError::empty;

  // Error detection trailer: ...AY<seq>AZ<4 hex>, AY optional (97 has none).
  if (wire.size() >= 6 && wire.substr(wire.size() - 6, 2) == "AZ") {
    const std::string_view upto_az = wire.substr(0, wire.size() - 4);
    unsigned given = 0;
    const std::string_view hex = wire.substr(wire.size() - 4);
    const auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), given, 16);
    if (ec != std::errc() || p != hex.data() + hex.size()) return ParseError::bad_checksum;
    unsigned sum = 0;
    for (const char c : upto_az) sum += static_cast<unsigned char>(c);
    if (((sum + given) & 0xFFFFU) != 0) return ParseError::bad_checksum;
    wire = wire.substr(0, wire.size() - 6);
    if (wire.size() >= 3 && wire.substr(wire.size() - 3, 2) == "AY") {
      const char s = wire.back();
      if (s >= '0' && s <= '9') out.sequence = s - '0';
      wire = wire.substr(0, wire.size() - 3);
    }
  }

  const std::string text = decode(wire);
  out.code = text.substr(0, 2);
  const int fixed = fixed_length_of(out.code);
  const size_t fixed_len = fixed > 0 ? static_cast<size_t>(fixed) : 0;
  if (text.size() < 2 + fixed_len) return ParseError::too_short;
  out.fixed = text.substr(2, fixed_len);
  std::string_view rest = std::string_view(text).substr(2 + fixed_len);
  while (!rest.empty()) {
    const size_t bar = rest.find('|');
    const std::string_view f = rest.substr(0, bar);
    if (f.size() >= 2) out.fields.emplace_back(std::string(f.substr(0, 2)), std::string(f.substr(2)));
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  return ParseError::none;
}

std::optional<PatronInfo> patron_info_from(const Response& r) {
  if ((r.code != "24" && r.code != "64") || r.fixed.size() != static_cast<size_t>(fixed_length_of(r.code))) {
    return std::nullopt;
  }
  PatronInfo p;
  p.status_mask = r.fixed.substr(0, 14);
  p.valid_patron = r.field("BL").value_or("N") == "Y";
  p.valid_password = yes_no(r.field("CQ"));
  if (r.code == "64") {
    const std::string_view counts = std::string_view(r.fixed).substr(14 + 3 + 18);
    p.holds = number(counts.substr(0, 4));
    p.overdue_items = number(counts.substr(4, 4));
    p.charged_items = number(counts.substr(8, 4));
    p.fine_items = number(counts.substr(12, 4));
    if (auto v = r.field("BZ")) p.hold_items_limit = number(*v);
    if (auto v = r.field("CA")) p.overdue_items_limit = number(*v);
    if (auto v = r.field("CB")) p.charged_items_limit = number(*v);
  }
  p.currency = r.field("BH").value_or("");
  p.fee_amount = r.field("BV").value_or("");
  p.screen_messages = r.all("AF");
  return p;
}

}  // namespace kazasu::library::sip2
