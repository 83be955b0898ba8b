#include "roll_csv.hpp"

#include <kazasu/station_time.hpp>
#include <map>

namespace kazasu::election {
namespace {

constexpr size_t kMaxLineBytes = 2048;
constexpr size_t kMaxNameBytes = 120;  // 40 characters of 3-byte UTF-8
constexpr size_t kMaxDistrictBytes = 64;
constexpr size_t kMaxNoteBytes = 200;
constexpr size_t kMaxAddressBytes = 300;  // 100 characters of 3-byte UTF-8

bool is_id_char(char c, bool underscore) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         (underscore && c == '_');
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::optional<std::string> check_text(const std::string& value, const char* field, size_t max_bytes, bool required) {
  if (value.empty()) {
    if (required) return std::string(field) + " is empty";
    return std::nullopt;
  }
  if (value.size() > max_bytes) return std::string(field) + " is longer than " + std::to_string(max_bytes) + " bytes";
  if (!clean_utf8(value)) return std::string(field) + " is not clean UTF-8 (bad bytes or control characters)";
  return std::nullopt;
}

// The sex column: 1 / 2 as the resident register codes it, or 男 / 女.
std::optional<std::string> normalise_sex(std::string_view s) {
  if (s == "1" || s == "男") return std::string("1");
  if (s == "2" || s == "女") return std::string("2");
  return std::nullopt;
}

// Why `fields` cannot be a voter, or nullopt and `out` filled.
std::optional<std::string> to_voter(std::vector<std::string>& fields, const RollRules& rules, Voter& out) {
  // The address (9th) is optional: rolls without it still match by token.
  if (fields.size() != 8 && fields.size() != 9)
    return "expected 8 fields (9 with address), found " + std::to_string(fields.size());
  for (auto& f : fields) f = std::string(trim_spaces(f));
  out.voter_number = fields[0];
  if (!valid_voter_number(out.voter_number)) return std::string("voter_number must be 1 to 32 of 0-9, A-Z, a-z, -");
  out.name_kanji = fields[1];
  if (auto why = check_text(out.name_kanji, "name_kanji", kMaxNameBytes, true)) return why;
  out.name_kana = fields[2];
  if (auto why = check_text(out.name_kana, "name_kana", kMaxNameBytes, true)) return why;
  out.birth_date = fields[3];
  const auto born = parse_day(out.birth_date);
  if (!born) return std::string("birth_date must be a real date written YYYY-MM-DD");
  if (rules.election_day) {
    const Civil b = civil_from_days(*born);
    // The law counts an age as reached the day before the birthday (Feb 29 births: Feb 28).
    const int64_t adult = days_from_civil(b.y + 18, b.m, b.d) - 1;
    if (adult > *rules.election_day) return std::string("birth_date: not 18 by election day");
  }
  const auto sex = normalise_sex(fields[4]);
  if (!sex) return std::string("sex must be 1, 2, 男 or 女");
  out.sex = *sex;
  out.district = fields[5];
  if (auto why = check_text(out.district, "district", kMaxDistrictBytes, true)) return why;
  out.station = fields[6];
  if (!valid_id(out.station)) return std::string("station must be 1 to 64 of A-Z, a-z, 0-9, _, -");
  if (!rules.stations.contains(out.station))
    return "station \"" + out.station + "\" does not take part in this election";
  out.note = fields[7];
  if (auto why = check_text(out.note, "note", kMaxNoteBytes, false)) return why;
  out.address = fields.size() == 9 ? fields[8] : std::string();
  if (auto why = check_text(out.address, "address", kMaxAddressBytes, false)) return why;
  return std::nullopt;
}

}  // namespace

bool valid_voter_number(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (const char c : s) {
    if (!is_id_char(c, false)) return false;
  }
  return true;
}

bool valid_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (const char c : s) {
    if (!is_id_char(c, true)) return false;
  }
  return true;
}

bool clean_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) return false;
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp < 0xA0)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::optional<std::vector<std::string>> split_csv_line(std::string_view line, std::string& why) {
  std::vector<std::string> fields;
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        field += line[i++];
      }
      if (!closed) {
        why = "unterminated quote (a field cannot span lines)";
        return std::nullopt;
      }
      if (i < line.size() && line[i] != ',') {
        why = "text after a closing quote";
        return std::nullopt;
      }
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') {
          why = "a quote inside an unquoted field";
          return std::nullopt;
        }
        field += line[i++];
      }
    }
    fields.push_back(field);
    if (fields.size() > 64) {
      why = "more than 64 fields";
      return std::nullopt;
    }
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

ParsedRoll parse_roll(std::string_view text, const RollRules& rules) {
  ParsedRoll out;
  auto reject = [&](size_t line, std::string reason) {
    ++out.rejected_total;
    if (out.rejected.size() < kMaxReported) out.rejected.push_back(RejectedLine{line, std::move(reason)});
  };
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a BOM from spreadsheet exports
  std::map<std::string, size_t> seen;                           // voter number -> its line
  size_t line_no = 0;
  size_t data_lines = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim_spaces(line).empty()) continue;
    if (line_no == 1 && (line == kRollHeader || line == kRollHeaderWithAddress)) {
      out.had_header = true;
      continue;
    }
    if (++data_lines > rules.max_lines) {
      reject(line_no, "more than " + std::to_string(rules.max_lines) + " entries (max_roll_lines)");
      break;
    }
    if (line.size() > kMaxLineBytes) {
      reject(line_no, "line longer than " + std::to_string(kMaxLineBytes) + " bytes");
      continue;
    }
    std::string why;
    auto fields = split_csv_line(line, why);
    if (!fields) {
      reject(line_no, why);
      continue;
    }
    Voter v;
    if (auto bad = to_voter(*fields, rules, v)) {
      reject(line_no, *bad);
      continue;
    }
    const auto [it, fresh] = seen.emplace(v.voter_number, line_no);
    if (!fresh) {
      reject(line_no, "voter_number repeats line " + std::to_string(it->second));
      continue;
    }
    out.voters.push_back(std::move(v));
  }
  return out;
}

}  // namespace kazasu::election
