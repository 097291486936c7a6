// Recurrence expansion: calendar edge cases, inclusive repeat_until, overlap
// rules, the cap, and the window jump checked against a slow reference that
// steps every occurrence from index 0 with the standard library's calendar.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "events/time.hpp"
#include "projections/recurrence.hpp"

namespace {

using almanac::ev::RepeatFrequency;
using almanac::proj::expand;
using almanac::proj::Occurrence;
using almanac::proj::occurrence_start;
using almanac::proj::Series;
namespace chr = std::chrono;

constexpr int64_t kDay = almanac::kMicrosPerDay;
constexpr int64_t kHour = 3'600'000'000;
constexpr int64_t kMinute = 60'000'000;
constexpr size_t kNoCap = 1'000'000;

int32_t day_of(int y, unsigned m, unsigned d) {
  return static_cast<int32_t>(
      chr::sys_days{chr::year{y} / chr::month{m} / chr::day{d}}.time_since_epoch().count());
}

int64_t at(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
  return int64_t{day_of(y, m, d)} * kDay + hh * kHour + mm * kMinute;
}

// "YYYY-MM-DD HH:MM" of a time, for readable comparisons.
std::string show(int64_t t) {
  const auto tp = chr::sys_time<chr::microseconds>{chr::microseconds{t}};
  const auto dp = chr::floor<chr::days>(tp);
  const chr::year_month_day ymd{dp};
  const auto tod = (tp - dp).count();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(tod / kHour), static_cast<int>(tod % kHour / kMinute));
  return buf;
}

std::vector<std::string> starts_of(const std::vector<Occurrence>& occ) {
  std::vector<std::string> out;
  for (const auto& o : occ) out.push_back(show(o.start));
  return out;
}

Series series(int64_t start, int64_t end, RepeatFrequency f,
              std::optional<int32_t> until = std::nullopt) {
  Series s;
  s.start = start;
  s.end = end;
  s.frequency = f;
  s.until_day = until;
  return s;
}

// ---- the slow reference -----------------------------------------------------

int64_t floor_day(int64_t t) {
  return chr::floor<chr::days>(chr::sys_time<chr::microseconds>{chr::microseconds{t}})
      .time_since_epoch()
      .count();
}

// Start of occurrence k, computed independently with std::chrono's calendar.
int64_t reference_start(const Series& s, int64_t k) {
  if (s.frequency == RepeatFrequency::Daily) return s.start + k * kDay;
  if (s.frequency == RepeatFrequency::Weekly) return s.start + k * 7 * kDay;
  if (s.frequency != RepeatFrequency::Monthly && s.frequency != RepeatFrequency::Yearly)
    return s.start;
  const int64_t d0 = floor_day(s.start);
  const int64_t tod = s.start - d0 * kDay;
  const chr::year_month_day ymd{chr::sys_days{chr::days{d0}}};
  chr::year_month ym{ymd.year(), ymd.month()};
  if (s.frequency == RepeatFrequency::Monthly) {
    ym += chr::months{k};
  } else {
    ym += chr::years{k};
  }
  const chr::day last = chr::year_month_day_last{ym.year(), chr::month_day_last{ym.month()}}.day();
  const chr::day d = std::min(ymd.day(), last);
  return int64_t{chr::sys_days{ym / d}.time_since_epoch().count()} * kDay + tod;
}

struct Expanded {
  std::vector<Occurrence> occurrences;
  bool truncated = false;
};

Expanded reference_expand(const Series& s, int64_t ws, int64_t we, size_t cap) {
  Expanded r;
  if (we < ws) return r;
  const int64_t dur = std::max<int64_t>(0, s.end - s.start);
  auto overlaps = [&](int64_t st) {
    return dur == 0 ? (ws <= st && st < we) : (st < we && st + dur > ws);
  };
  const bool repeats = s.frequency != RepeatFrequency::None;
  for (int64_t k = 0;; ++k) {
    if (!repeats && k > 0) break;
    const int64_t st = reference_start(s, k);
    if (st >= we) break;
    if (repeats && s.until_day && floor_day(st) > *s.until_day) break;
    if (overlaps(st)) {
      if (r.occurrences.size() == cap) {
        r.truncated = true;
        break;
      }
      r.occurrences.push_back(Occurrence{st, st + dur, k});
    }
  }
  return r;
}

Expanded run(const Series& s, int64_t ws, int64_t we, size_t cap = kNoCap) {
  Expanded r;
  r.truncated = expand(s, ws, we, cap, r.occurrences);
  return r;
}

bool same(const std::vector<Occurrence>& a, const std::vector<Occurrence>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].start != b[i].start || a[i].end != b[i].end || a[i].index != b[i].index)
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("monthly on the 31st clamps to short months without drifting") {
  const Series s = series(at(2024, 1, 31, 9, 30), at(2024, 1, 31, 10, 45), RepeatFrequency::Monthly);
  const auto r = run(s, at(2024, 1, 1), at(2025, 4, 1));
  CHECK_FALSE(r.truncated);
  CHECK(starts_of(r.occurrences) ==
        std::vector<std::string>{"2024-01-31 09:30", "2024-02-29 09:30", "2024-03-31 09:30",
                                 "2024-04-30 09:30", "2024-05-31 09:30", "2024-06-30 09:30",
                                 "2024-07-31 09:30", "2024-08-31 09:30", "2024-09-30 09:30",
                                 "2024-10-31 09:30", "2024-11-30 09:30", "2024-12-31 09:30",
                                 "2025-01-31 09:30", "2025-02-28 09:30", "2025-03-31 09:30"});
  for (size_t i = 0; i < r.occurrences.size(); ++i) {
    CHECK(r.occurrences[i].index == static_cast<int64_t>(i));
    CHECK(r.occurrences[i].end - r.occurrences[i].start == 75 * kMinute);
  }
  CHECK(occurrence_start(s, 1) == at(2024, 2, 29, 9, 30));
  CHECK(occurrence_start(s, 2) == at(2024, 3, 31, 9, 30));
  CHECK(occurrence_start(s, 3) == at(2024, 4, 30, 9, 30));
  CHECK(occurrence_start(s, 13) == at(2025, 2, 28, 9, 30));
}

TEST_CASE("monthly on the 30th and 29th clamp only in February") {
  const Series s30 = series(at(2023, 1, 30), at(2023, 1, 30, 1), RepeatFrequency::Monthly);
  CHECK(show(occurrence_start(s30, 1)) == "2023-02-28 00:00");
  CHECK(show(occurrence_start(s30, 2)) == "2023-03-30 00:00");
  const Series s29 = series(at(2023, 1, 29), at(2023, 1, 29, 1), RepeatFrequency::Monthly);
  CHECK(show(occurrence_start(s29, 1)) == "2023-02-28 00:00");
  CHECK(show(occurrence_start(s29, 13)) == "2024-02-29 00:00");
  CHECK(show(occurrence_start(s29, 14)) == "2024-03-29 00:00");
}

TEST_CASE("yearly Feb 29 falls on Feb 28 in common years and Feb 29 in leap years") {
  const Series s = series(at(2024, 2, 29, 18, 0), at(2024, 2, 29, 20, 0), RepeatFrequency::Yearly);
  const auto r = run(s, at(2024, 1, 1), at(2033, 1, 1));
  CHECK(starts_of(r.occurrences) ==
        std::vector<std::string>{"2024-02-29 18:00", "2025-02-28 18:00", "2026-02-28 18:00",
                                 "2027-02-28 18:00", "2028-02-29 18:00", "2029-02-28 18:00",
                                 "2030-02-28 18:00", "2031-02-28 18:00", "2032-02-29 18:00"});
  // 2100 is not a leap year, 2000 was.
  CHECK(show(occurrence_start(s, 76)) == "2100-02-28 18:00");
  CHECK(show(occurrence_start(s, 80)) == "2104-02-29 18:00");
  const Series old = series(at(1896, 2, 29), at(1896, 2, 29, 1), RepeatFrequency::Yearly);
  CHECK(show(occurrence_start(old, 4)) == "1900-02-28 00:00");
  CHECK(show(occurrence_start(old, 104)) == "2000-02-29 00:00");
}

TEST_CASE("daily and weekly keep the time of day and the duration") {
  const Series d = series(at(2024, 3, 30, 22, 15), at(2024, 3, 31, 1, 15), RepeatFrequency::Daily);
  const auto r = run(d, at(2024, 3, 30), at(2024, 4, 2));
  CHECK(starts_of(r.occurrences) ==
        std::vector<std::string>{"2024-03-30 22:15", "2024-03-31 22:15", "2024-04-01 22:15"});
  for (const auto& o : r.occurrences) CHECK(o.end - o.start == 3 * kHour);

  const Series w = series(at(2023, 12, 28, 8), at(2023, 12, 28, 9), RepeatFrequency::Weekly);
  const auto rw = run(w, at(2024, 1, 1), at(2024, 2, 1));
  CHECK(starts_of(rw.occurrences) ==
        std::vector<std::string>{"2024-01-04 08:00", "2024-01-11 08:00", "2024-01-18 08:00",
                                 "2024-01-25 08:00"});
  CHECK(rw.occurrences.front().index == 1);
}

TEST_CASE("repeat_until is inclusive by date") {
  const Series late = series(at(2024, 5, 1, 23), at(2024, 5, 1, 23, 30), RepeatFrequency::Daily,
                             day_of(2024, 5, 5));
  const auto r = run(late, at(2024, 1, 1), at(2025, 1, 1));
  REQUIRE(r.occurrences.size() == 5);
  CHECK(show(r.occurrences.back().start) == "2024-05-05 23:00");

  Series before = late;
  before.until_day = day_of(2024, 5, 4);
  CHECK(run(before, at(2024, 1, 1), at(2025, 1, 1)).occurrences.size() == 4);

  const Series monthly = series(at(2024, 1, 31, 12), at(2024, 1, 31, 13), RepeatFrequency::Monthly,
                                day_of(2024, 4, 30));
  CHECK(starts_of(run(monthly, at(2024, 1, 1), at(2025, 1, 1)).occurrences) ==
        std::vector<std::string>{"2024-01-31 12:00", "2024-02-29 12:00", "2024-03-31 12:00",
                                 "2024-04-30 12:00"});

  Series weekly = series(at(2024, 1, 1, 9), at(2024, 1, 1, 10), RepeatFrequency::Weekly,
                         day_of(2024, 1, 14));
  CHECK(run(weekly, at(2024, 1, 1), at(2025, 1, 1)).occurrences.size() == 2);
  weekly.until_day = day_of(2024, 1, 15);
  CHECK(run(weekly, at(2024, 1, 1), at(2025, 1, 1)).occurrences.size() == 3);
}

TEST_CASE("an occurrence that began before the window and ends in it is included") {
  // Three-day occurrences every week, Friday 18:00 to Monday 18:00.
  const Series s = series(at(2024, 1, 5, 18), at(2024, 1, 8, 18), RepeatFrequency::Weekly);
  const auto r = run(s, at(2024, 1, 14), at(2024, 1, 15));
  REQUIRE(r.occurrences.size() == 1);
  CHECK(show(r.occurrences[0].start) == "2024-01-12 18:00");
  CHECK(show(r.occurrences[0].end) == "2024-01-15 18:00");
  CHECK(r.occurrences[0].index == 1);

  // Ending exactly at the window start is not an overlap (half-open ranges).
  CHECK(run(s, at(2024, 1, 15, 18), at(2024, 1, 19)).occurrences.empty());
  // Starting exactly at the window end is not an overlap either.
  CHECK(run(s, at(2024, 1, 16), at(2024, 1, 19, 18)).occurrences.empty());

  // Daily occurrences lasting 50 hours: a window overlaps three of them.
  const Series d = series(at(2024, 6, 1, 0), at(2024, 6, 3, 2), RepeatFrequency::Daily);
  const auto rd = run(d, at(2024, 6, 10, 1), at(2024, 6, 10, 1, 30));
  CHECK(starts_of(rd.occurrences) ==
        std::vector<std::string>{"2024-06-08 00:00", "2024-06-09 00:00", "2024-06-10 00:00"});
}

TEST_CASE("zero-length occurrences overlap when window_start <= start < window_end") {
  const int64_t t = at(2024, 2, 1, 12);
  const Series s = series(t, t, RepeatFrequency::Daily);
  CHECK(run(s, t, t + 1).occurrences.size() == 1);
  CHECK(run(s, t - kHour, t).occurrences.empty());
  CHECK(run(s, t + 1, t + kHour).occurrences.empty());
  CHECK(run(s, t, t).occurrences.empty());
  const auto r = run(s, at(2024, 2, 3, 12), at(2024, 2, 5, 12));
  CHECK(starts_of(r.occurrences) ==
        std::vector<std::string>{"2024-02-03 12:00", "2024-02-04 12:00"});
  CHECK(r.occurrences[0].end == r.occurrences[0].start);

  // Windows that open exactly on a later zero-length occurrence include it.
  for (RepeatFrequency f : {RepeatFrequency::Daily, RepeatFrequency::Weekly,
                            RepeatFrequency::Monthly, RepeatFrequency::Yearly}) {
    const Series z = series(at(2020, 8, 31, 6), at(2020, 8, 31, 6), f);
    for (int64_t k : {1, 6, 40}) {
      const int64_t sk = occurrence_start(z, k);
      const auto hit = run(z, sk, sk + 1);
      REQUIRE(hit.occurrences.size() == 1);
      CHECK(hit.occurrences[0].index == k);
      CHECK(run(z, sk + 1, sk + 2).occurrences.empty());
    }
  }

  const Series single = series(t, t, RepeatFrequency::None);
  CHECK(run(single, t, t + 1).occurrences.size() == 1);
  CHECK(run(single, t - 1, t).occurrences.empty());
}

TEST_CASE("the cap stops the expansion and reports truncation") {
  const Series s = series(at(2024, 1, 1, 9), at(2024, 1, 1, 10), RepeatFrequency::Daily);
  const int64_t ws = at(2024, 1, 1);
  const int64_t we = at(2024, 1, 11);  // ten occurrences

  auto r = run(s, ws, we, 3);
  CHECK(r.truncated);
  CHECK(starts_of(r.occurrences) ==
        std::vector<std::string>{"2024-01-01 09:00", "2024-01-02 09:00", "2024-01-03 09:00"});

  r = run(s, ws, we, 10);
  CHECK_FALSE(r.truncated);
  CHECK(r.occurrences.size() == 10);

  r = run(s, ws, we, 9);
  CHECK(r.truncated);
  CHECK(r.occurrences.size() == 9);

  r = run(s, ws, we, 0);
  CHECK(r.truncated);
  CHECK(r.occurrences.empty());

  r = run(s, at(2023, 1, 1), at(2023, 2, 1), 0);
  CHECK_FALSE(r.truncated);

  // Until cuts the series before the cap: not truncated.
  Series until = s;
  until.until_day = day_of(2024, 1, 3);
  r = run(until, ws, we, 3);
  CHECK_FALSE(r.truncated);
  CHECK(r.occurrences.size() == 3);
}

TEST_CASE("expand appends to what the vector already holds") {
  const Series s = series(at(2024, 1, 1, 9), at(2024, 1, 1, 10), RepeatFrequency::Daily);
  std::vector<Occurrence> out{Occurrence{1, 2, 3}};
  CHECK_FALSE(expand(s, at(2024, 1, 1), at(2024, 1, 3), kNoCap, out));
  REQUIRE(out.size() == 3);
  CHECK(out[0].start == 1);
  CHECK(show(out[1].start) == "2024-01-01 09:00");
  CHECK(show(out[2].start) == "2024-01-02 09:00");
}

TEST_CASE("frequency None is a single occurrence and ignores until") {
  const Series s = series(at(2024, 3, 10, 14), at(2024, 3, 12, 14), RepeatFrequency::None,
                          day_of(2024, 1, 1));
  auto r = run(s, at(2024, 3, 11), at(2024, 3, 11, 1));
  REQUIRE(r.occurrences.size() == 1);
  CHECK(r.occurrences[0].start == s.start);
  CHECK(r.occurrences[0].end == s.end);
  CHECK(r.occurrences[0].index == 0);
  CHECK(run(s, at(2024, 3, 12, 14), at(2024, 4, 1)).occurrences.empty());
  CHECK(run(s, at(2024, 3, 14), at(2025, 1, 1)).occurrences.empty());
  CHECK(occurrence_start(s, 0) == s.start);
  CHECK(run(s, at(2024, 3, 11), at(2024, 3, 11, 1), 0).truncated);
}

TEST_CASE("times before 1970 are handled like any other") {
  const Series m = series(at(1969, 10, 31, 23, 59), at(1969, 11, 1, 0, 29), RepeatFrequency::Monthly,
                          day_of(1970, 3, 31));
  const auto r = run(m, at(1969, 1, 1), at(1971, 1, 1));
  CHECK(starts_of(r.occurrences) ==
        std::vector<std::string>{"1969-10-31 23:59", "1969-11-30 23:59", "1969-12-31 23:59",
                                 "1970-01-31 23:59", "1970-02-28 23:59", "1970-03-31 23:59"});
  // A window in the middle, entirely before the epoch.
  const auto mid = run(m, at(1969, 12, 1), at(1969, 12, 31, 23, 59));
  CHECK(starts_of(mid.occurrences) == std::vector<std::string>{"1969-11-30 23:59"});

  const Series d = series(at(1900, 1, 1, 6), at(1900, 1, 1, 7), RepeatFrequency::Daily);
  const auto rd = run(d, at(1969, 12, 31), at(1970, 1, 2));
  CHECK(starts_of(rd.occurrences) ==
        std::vector<std::string>{"1969-12-31 06:00", "1970-01-01 06:00"});
  CHECK(rd.occurrences[0].index == day_of(1969, 12, 31) - day_of(1900, 1, 1));

  // until_day before the epoch is negative; an occurrence at 23:00 on it counts.
  const Series until = series(at(1969, 12, 28, 23), at(1969, 12, 28, 23, 30),
                              RepeatFrequency::Daily, day_of(1969, 12, 30));
  CHECK(day_of(1969, 12, 30) == -2);
  CHECK(starts_of(run(until, at(1969, 1, 1), at(1971, 1, 1)).occurrences) ==
        std::vector<std::string>{"1969-12-28 23:00", "1969-12-29 23:00", "1969-12-30 23:00"});
}

TEST_CASE("a window reversed or wholly past the supported domain holds nothing") {
  // Found by tests/fuzz/recurrence_fuzz: both ends past the domain used to be
  // clamped onto its edge first, so a reversed window there was no longer
  // empty and returned the occurrence spanning the edge.
  constexpr int64_t kEdge = 7'300'000 * kDay;
  // Twenty days long: the second occurrence (about ten days before the edge)
  // reaches past it.
  const Series m{kEdge - 40 * kDay, kEdge - 20 * kDay, RepeatFrequency::Monthly, std::nullopt};
  CHECK(run(m, kEdge + 20 * kDay, kEdge + 19 * kDay).occurrences.empty());  // reversed
  CHECK(run(m, kEdge + 15 * kDay, kEdge + 30 * kDay).occurrences.empty());  // past the edge
  CHECK(run(m, -kEdge - 30 * kDay, -kEdge - 10 * kDay).occurrences.empty());  // before it
  // Straddling the edge still finds what lies inside.
  CHECK(run(m, kEdge - 50 * kDay, kEdge + 30 * kDay).occurrences.size() == 2);
}

TEST_CASE("a window far from an old series jumps to the right occurrences") {
  const Series d = series(at(1955, 7, 4, 7, 45), at(1955, 7, 4, 8), RepeatFrequency::Daily);
  const Series w = series(at(1961, 1, 31, 19), at(1961, 2, 2, 19), RepeatFrequency::Weekly);
  const Series m = series(at(1952, 8, 31, 12), at(1952, 8, 31, 13), RepeatFrequency::Monthly);
  const Series y = series(at(1904, 2, 29, 0), at(1904, 3, 1, 0), RepeatFrequency::Yearly);
  for (const Series& s : {d, w, m, y}) {
    for (const auto& [ws, we] : {std::pair{at(2055, 3, 1), at(2055, 4, 1)},
                                  std::pair{at(2100, 2, 27), at(2100, 3, 2)},
                                  std::pair{at(2024, 2, 29, 12), at(2024, 3, 1)}}) {
      const auto got = run(s, ws, we);
      const auto want = reference_expand(s, ws, we, kNoCap);
      CHECK(same(got.occurrences, want.occurrences));
      CHECK(got.truncated == want.truncated);
    }
  }
  // Spot values: 100 years of months from 1952-08-31.
  CHECK(show(occurrence_start(m, 1200)) == "2052-08-31 12:00");
  CHECK(show(occurrence_start(m, 1206)) == "2053-02-28 12:00");
  CHECK(show(occurrence_start(y, 196)) == "2100-02-28 00:00");
}

TEST_CASE("expand agrees with stepping every occurrence from index 0") {
  std::mt19937_64 rng(0x5eed2024);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const RepeatFrequency freqs[] = {RepeatFrequency::None, RepeatFrequency::Daily,
                                   RepeatFrequency::Weekly, RepeatFrequency::Monthly,
                                   RepeatFrequency::Yearly};
  const int64_t durations[] = {0, 30 * kMinute, 3 * kHour, 26 * kHour, 9 * kDay, 40 * kDay, 400 * kDay};
  int compared = 0;
  size_t occurrences_seen = 0;
  for (int i = 0; i < 4000; ++i) {
    const RepeatFrequency f = freqs[uniform(0, 4)];
    // Start days biased to month ends and Feb 29 so clamping is exercised.
    int y = static_cast<int>(uniform(1890, 2090));
    unsigned mo = static_cast<unsigned>(uniform(1, 12));
    unsigned dd = uniform(0, 1) ? static_cast<unsigned>(uniform(28, 31))
                                : static_cast<unsigned>(uniform(1, 31));
    if (uniform(0, 9) == 0) {
      y = static_cast<int>(uniform(472, 522)) * 4;  // 1888..2088, all divisible by 4
      mo = 2;
      dd = 29;
    }
    const chr::year_month_day ymd{chr::year{y}, chr::month{mo}, chr::day{dd}};
    if (!ymd.ok()) continue;
    const int64_t start = int64_t{chr::sys_days{ymd}.time_since_epoch().count()} * kDay +
                          uniform(0, kDay - 1);
    const int64_t dur = uniform(0, 3) == 0 ? uniform(0, 2 * kDay) : durations[uniform(0, 6)];
    std::optional<int32_t> until;
    const int64_t u = uniform(0, 9);
    if (u < 4) until = static_cast<int32_t>(floor_day(start) + uniform(-3, 40 * 366));
    else if (u < 5) until = static_cast<int32_t>(floor_day(start) + uniform(0, 3));
    const Series s = series(start, start + dur, f, until);

    int64_t ws = start + uniform(-5 * 366 * kDay, 70 * 366 * kDay);
    int64_t we = ws + (uniform(0, 7) == 0 ? uniform(0, kDay) : uniform(0, 400 * kDay));
    // Windows whose bounds fall exactly on an occurrence's start or end.
    if (uniform(0, 2) == 0) {
      const int64_t k = f == RepeatFrequency::None ? 0 : uniform(0, 900);
      const int64_t sk = reference_start(s, k);
      const int64_t choice = uniform(0, 3);
      if (choice == 0) ws = sk;
      if (choice == 1) ws = sk + dur;
      if (choice == 2) we = sk;
      if (choice == 3) we = sk + dur;
      if (we < ws) std::swap(ws, we);
    }
    const size_t cap = uniform(0, 2) == 0 ? static_cast<size_t>(uniform(0, 6)) : kNoCap;

    const auto got = run(s, ws, we, cap);
    const auto want = reference_expand(s, ws, we, cap);
    INFO("case " << i << " freq " << static_cast<int>(f) << " start " << show(start)
                 << " dur " << dur << " window " << show(ws) << " .. " << show(we) << " cap "
                 << cap);
    REQUIRE(got.occurrences.size() == want.occurrences.size());
    REQUIRE(same(got.occurrences, want.occurrences));
    REQUIRE(got.truncated == want.truncated);
    for (int64_t k : {int64_t{0}, uniform(1, 50), uniform(50, 2000)}) {
      if (f == RepeatFrequency::None && k > 0) continue;
      REQUIRE(occurrence_start(s, k) == reference_start(s, k));
    }
    ++compared;
    occurrences_seen += got.occurrences.size();
  }
  CHECK(compared > 3500);
  CHECK(occurrences_seen > 10000);
}
