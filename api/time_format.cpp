#include "api/time_format.hpp"

#include <date/date.h>

#include <chrono>
#include <cstdio>

namespace almanac::api {

using namespace std::chrono;

int64_t now_us() {
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

std::string format(int64_t us, bool zulu) {
  sys_time<microseconds> t{microseconds{us}};
  auto day = floor<date::days>(t);
  date::year_month_day ymd{day};
  date::hh_mm_ss<microseconds> hms{t - day};
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                        unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                        int(hms.minutes().count()), int(hms.seconds().count()));
  std::string out(buf, n);
  if (auto frac = hms.subseconds().count(); frac != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    out += buf;
  }
  if (zulu) out += 'Z';
  return out;
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

std::optional<date::sys_days> parse_day(std::string_view s) {
  int y, m, d;
  if (s.size() < 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, m) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  date::year_month_day ymd{date::year{y}, date::month(m), date::day(d)};
  if (y < 1 || !ymd.ok()) return std::nullopt;
  return date::sys_days{ymd};
}

}  // namespace

std::string format_utc(int64_t us) { return format(us, true); }
std::string format_naive(int64_t us) { return format(us, false); }

std::string format_date(int64_t us) {
  sys_time<microseconds> t{microseconds{us}};
  return date::format("%F", floor<date::days>(t));
}

std::optional<int32_t> parse_date(std::string_view s) {
  if (s.size() != 10) return std::nullopt;
  auto day = parse_day(s);
  if (!day) return std::nullopt;
  return static_cast<int32_t>(day->time_since_epoch().count());
}

std::optional<ParsedTime> parse_datetime(std::string_view s) {
  auto day = parse_day(s);
  if (!day) return std::nullopt;
  ParsedTime out;
  int64_t us = duration_cast<microseconds>(day->time_since_epoch()).count();
  if (s.size() == 10) {
    out.us = us;
    out.naive = true;
    return out;
  }
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  int hh, mm, ss = 0;
  size_t pos = 11;
  if (!digits(s, pos, 2, hh) || pos + 2 >= s.size() + 0 || s.size() < pos + 5 || s[pos + 2] != ':' ||
      !digits(s, pos + 3, 2, mm))
    return std::nullopt;
  pos += 5;
  if (pos < s.size() && s[pos] == ':') {
    if (!digits(s, pos + 1, 2, ss)) return std::nullopt;
    pos += 3;
  }
  if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (scale > 0) frac += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  us += ((hh * 60LL + mm) * 60LL + ss) * 1'000'000LL + frac;
  if (pos == s.size()) {
    out.naive = true;
  } else if (s[pos] == 'Z' || s[pos] == 'z') {
    if (pos + 1 != s.size()) return std::nullopt;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    bool colon = pos + 3 < s.size() && s[pos + 3] == ':';
    if (!digits(s, pos + 1, 2, oh) || !digits(s, pos + (colon ? 4 : 3), 2, om)) return std::nullopt;
    if (pos + (colon ? 6 : 5) != s.size() || oh > 23 || om > 59) return std::nullopt;
    int64_t offset = (oh * 60LL + om) * 60'000'000LL;
    us += s[pos] == '+' ? -offset : offset;
  } else {
    return std::nullopt;
  }
  out.us = us;
  return out;
}

}  // namespace almanac::api
