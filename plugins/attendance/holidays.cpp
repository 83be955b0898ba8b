#include "holidays.hpp"

#include <algorithm>
#include <utility>

#include "rules.hpp"

namespace kazasu::attendance {
namespace {

constexpr int kSunday = 0;

// Day of month of the n-th Monday (ハッピーマンデー制度, from 2000 and 2003).
int nth_monday(int year, int month, int n) {
  const int first = weekday(days_from_civil(year, month, 1));
  return 1 + (8 - first) % 7 + 7 * (n - 1);
}

// The approximation of the equinoxes (valid 1980-2099 and, with other
// constants, 2100-2150). The Cabinet announces each year's date in the
// official gazette the February before, from the observatory's ephemeris;
// the formula matches every announced date from 1990 to 2027.
int equinox_day(int year, double base_to_2099, double base_from_2100) {
  const double base = year <= 2099 ? base_to_2099 : base_from_2100;
  const int n = year - 1980;
  return static_cast<int>(base + 0.242194 * n) - n / 4;
}

bool contains(const std::vector<Holiday>& days, int64_t day) {
  return std::any_of(days.begin(), days.end(), [day](const Holiday& h) { return h.day == day; });
}

// The 国民の祝日 of a year and the days special laws count as such; the days
// off that follow from them (振替休日, 国民の休日) are added by the caller.
std::vector<Holiday> named_holidays(int y) {
  std::vector<Holiday> out;
  auto add = [&](int m, int d, std::string_view name) { out.push_back(Holiday{days_from_civil(y, m, d), name}); };
  add(1, 1, "元日");
  add(1, y >= 2000 ? nth_monday(y, 1, 2) : 15, "成人の日");
  add(2, 11, "建国記念の日");
  if (y >= 2020) add(2, 23, "天皇誕生日");
  add(3, vernal_equinox_day(y), "春分の日");
  add(4, 29, y >= 2007 ? "昭和の日" : "みどりの日");
  add(5, 3, "憲法記念日");
  if (y >= 2007) add(5, 4, "みどりの日");
  add(5, 5, "こどもの日");
  // The Olympic year and its postponement moved three holidays next to the
  // opening and closing ceremonies (東京オリンピック特措法, 2020 and 2021).
  if (y == 2020) {
    add(7, 23, "海の日");
    add(7, 24, "スポーツの日");
    add(8, 10, "山の日");
  } else if (y == 2021) {
    add(7, 22, "海の日");
    add(7, 23, "スポーツの日");
    add(8, 8, "山の日");
  } else {
    if (y >= 2003) {
      add(7, nth_monday(y, 7, 3), "海の日");
    } else if (y >= 1996) {
      add(7, 20, "海の日");
    }
    if (y >= 2016) add(8, 11, "山の日");
    if (y >= 2000) {
      add(10, nth_monday(y, 10, 2), y >= 2020 ? "スポーツの日" : "体育の日");
    } else {
      add(10, 10, "体育の日");
    }
  }
  add(9, y >= 2003 ? nth_monday(y, 9, 3) : 15, "敬老の日");
  add(9, autumnal_equinox_day(y), "秋分の日");
  add(11, 3, "文化の日");
  add(11, 23, "勤労感謝の日");
  if (y <= 2018) add(12, 23, "天皇誕生日");
  // One-off days by special law; the 2019 ones count as 国民の祝日 for the
  // sandwich rule, which is what made 04-30 and 05-02 days off.
  if (y == 1990) add(11, 12, "即位礼正殿の儀");
  if (y == 1993) add(6, 9, "皇太子徳仁親王の結婚の儀");
  if (y == 2019) {
    add(5, 1, "即位の日");
    add(10, 22, "即位礼正殿の儀");
  }
  std::sort(out.begin(), out.end(), [](const Holiday& a, const Holiday& b) { return a.day < b.day; });
  return out;
}

}  // namespace

int vernal_equinox_day(int year) {
  return equinox_day(year, 20.8431, 21.8510);
}

int autumnal_equinox_day(int year) {
  return equinox_day(year, 23.2488, 24.2488);
}

std::vector<Holiday> national_holidays(int year) {
  if (year < kFirstHolidayYear || year > kLastHolidayYear) return {};
  const std::vector<Holiday> named = named_holidays(year);
  std::vector<Holiday> out = named;
  // 振替休日 (Art. 3(2)): a holiday on a Sunday moves the day off to the next
  // day that is not a holiday itself (since 2007; before, only to the Monday).
  for (const auto& h : named) {
    if (weekday(h.day) != kSunday) continue;
    int64_t next = h.day + 1;
    if (year >= 2007) {
      while (contains(named, next)) ++next;
    } else if (contains(named, next)) {
      continue;
    }
    out.push_back(Holiday{next, "振替休日"});
  }
  // 国民の休日 (Art. 3(3)): a day between two 国民の祝日 that is none itself.
  // Never a Sunday: the law before 2007 excluded it, and since then none can occur.
  for (size_t i = 0; i + 1 < named.size(); ++i) {
    const int64_t between = named[i].day + 1;
    if (named[i + 1].day != between + 1 || weekday(between) == kSunday || contains(out, between)) continue;
    out.push_back(Holiday{between, "国民の休日"});
  }
  std::sort(out.begin(), out.end(), [](const Holiday& a, const Holiday& b) { return a.day < b.day; });
  return out;
}

std::optional<MonthDay> parse_month_day(const std::string& s) {
  if (s.size() != 5 || s[2] != '-') return std::nullopt;
  // A leap year, so that 02-29 is a day that exists.
  const auto day = parse_day("2000-" + s);
  if (!day) return std::nullopt;
  const Civil c = civil_from_days(*day);
  return MonthDay{c.m, c.d};
}

std::vector<MonthDay> default_days_off() {
  return {{12, 29}, {12, 30}, {12, 31}, {1, 2}, {1, 3}};
}

HolidayCalendar::HolidayCalendar() : days_off_(default_days_off()) {}

HolidayCalendar::HolidayCalendar(std::vector<MonthDay> days_off, std::vector<int64_t> extra_days)
    : days_off_(std::move(days_off)), extra_days_(std::move(extra_days)) {
  std::sort(extra_days_.begin(), extra_days_.end());
}

bool HolidayCalendar::is_holiday(int64_t day) const {
  if (std::binary_search(extra_days_.begin(), extra_days_.end(), day)) return true;
  const Civil c = civil_from_days(day);
  for (const auto& off : days_off_) {
    if (off.month == c.m && off.day == c.d) return true;
  }
  const auto national = national_holidays(c.y);
  return contains(national, day);
}

}  // namespace kazasu::attendance
