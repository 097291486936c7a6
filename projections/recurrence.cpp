// Recurrence expansion: civil-date arithmetic over Howard Hinnant's date
// algorithms, with an arithmetic jump to the first occurrence of a window.
#include "projections/recurrence.hpp"

#include <algorithm>
#include <limits>

#include <date/date.h>

#include "events/time.hpp"

namespace almanac::proj {
namespace {

constexpr int64_t kMicrosPerWeek = 7 * kMicrosPerDay;

// The supported time domain, about years -18000..21900. date's civil types
// hold years in a short, so keeping every time (and one period past a window)
// well inside that range keeps the conversions exact.
constexpr int64_t kLimitDays = 7'300'000;
constexpr int64_t kMinTime = -kLimitDays * kMicrosPerDay;
constexpr int64_t kMaxTime = kLimitDays * kMicrosPerDay;

constexpr int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// The series' first occurrence split into civil date and time of day.
struct Anchor {
  int64_t time_of_day = 0;  // microseconds since midnight, in [0, kMicrosPerDay)
  int year = 1970;
  unsigned month = 1;       // 1..12
  unsigned day = 1;         // 1..31
};

Anchor anchor_of(int64_t start) {
  const int64_t day = floor_div(start, kMicrosPerDay);
  const date::year_month_day ymd{date::sys_days{date::days{static_cast<int>(day)}}};
  return Anchor{start - day * kMicrosPerDay, static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day())};
}

// Start of the occurrence on (year, month) keeping the anchor's day of month,
// clamped to that month's last day.
int64_t start_in_month(const Anchor& a, int year, unsigned month) {
  const date::year y{year};
  const date::month m{month};
  const date::day last = (y / m / date::last).day();
  const date::day d = std::min(date::day{a.day}, last);
  const int64_t days = date::sys_days{y / m / d}.time_since_epoch().count();
  return days * kMicrosPerDay + a.time_of_day;
}

int64_t monthly_start(const Anchor& a, int64_t index) {
  const int64_t months = int64_t{a.year} * 12 + (a.month - 1) + index;
  const int64_t year = floor_div(months, 12);
  return start_in_month(a, static_cast<int>(year), static_cast<unsigned>(months - year * 12 + 1));
}

int64_t yearly_start(const Anchor& a, int64_t index) {
  return start_in_month(a, static_cast<int>(a.year + index), a.month);
}

// A lower bound on the index of the first occurrence whose start is after
// `t`: every occurrence before it starts at or before `t`. It is at most one
// below the exact index, so the caller's forward scan stays constant-time.
int64_t index_at_or_before(const Series& s, const Anchor& a, int64_t t) {
  if (t <= s.start) return 0;
  switch (s.frequency) {
    case ev::RepeatFrequency::Daily:
      return floor_div(t - s.start, kMicrosPerDay);
    case ev::RepeatFrequency::Weekly:
      return floor_div(t - s.start, kMicrosPerWeek);
    case ev::RepeatFrequency::Monthly: {
      // Occurrence `months` falls in t's month; every earlier one falls in an
      // earlier month and so starts before t, whatever the clamping.
      const Anchor at = anchor_of(t);
      return (int64_t{at.year} * 12 + at.month) - (int64_t{a.year} * 12 + a.month);
    }
    case ev::RepeatFrequency::Yearly: {
      // Likewise, occurrence `years` falls in t's year.
      return int64_t{anchor_of(t).year} - a.year;
    }
    default:
      return 0;
  }
}

}  // namespace

int64_t occurrence_start(const Series& series, int64_t index) {
  switch (series.frequency) {
    case ev::RepeatFrequency::Daily:
      return series.start + index * kMicrosPerDay;
    case ev::RepeatFrequency::Weekly:
      return series.start + index * kMicrosPerWeek;
    case ev::RepeatFrequency::Monthly:
      return monthly_start(anchor_of(series.start), index);
    case ev::RepeatFrequency::Yearly:
      return yearly_start(anchor_of(series.start), index);
    default:
      return series.start;
  }
}

bool expand(const Series& series, int64_t window_start, int64_t window_end, size_t cap,
            std::vector<Occurrence>& out) {
  // Empty as given, or wholly outside the domain: nothing overlaps it (an
  // occurrence reaching past the domain's edge is outside it too).
  if (window_end < window_start || window_start > kMaxTime || window_end < kMinTime) return false;
  window_start = std::clamp(window_start, kMinTime, kMaxTime);
  window_end = std::clamp(window_end, kMinTime, kMaxTime);

  const int64_t duration = std::max<int64_t>(0, series.end - series.start);
  auto overlaps = [&](int64_t start) {
    return duration == 0 ? (window_start <= start && start < window_end)
                         : (start < window_end && start + duration > window_start);
  };

  const bool repeats = series.frequency == ev::RepeatFrequency::Daily ||
                       series.frequency == ev::RepeatFrequency::Weekly ||
                       series.frequency == ev::RepeatFrequency::Monthly ||
                       series.frequency == ev::RepeatFrequency::Yearly;
  if (!repeats) {
    if (!overlaps(series.start)) return false;
    if (cap == 0) return true;
    out.push_back(Occurrence{series.start, series.start + duration, 0});
    return false;
  }

  // Occurrence starts strictly increase, so the overlapping ones form one run
  // of indices. It begins at the first occurrence ending after window_start
  // (starting at or after it when zero-length), that is the first whose start
  // is after window_start - duration (at or after window_start).
  const int64_t until_day =
      series.until_day ? int64_t{*series.until_day} : std::numeric_limits<int64_t>::max();
  const Anchor anchor = anchor_of(series.start);
  auto start_of = [&](int64_t index) {
    switch (series.frequency) {
      case ev::RepeatFrequency::Daily:
        return series.start + index * kMicrosPerDay;
      case ev::RepeatFrequency::Weekly:
        return series.start + index * kMicrosPerWeek;
      case ev::RepeatFrequency::Monthly:
        return monthly_start(anchor, index);
      default:
        return yearly_start(anchor, index);
    }
  };

  int64_t index = index_at_or_before(series, anchor, window_start - duration);
  int64_t start = start_of(index);
  while (!overlaps(start) && start < window_end) start = start_of(++index);

  size_t emitted = 0;
  while (start < window_end && floor_div(start, kMicrosPerDay) <= until_day) {
    if (emitted == cap) return true;
    out.push_back(Occurrence{start, start + duration, index});
    ++emitted;
    start = start_of(++index);
  }
  return false;
}

}  // namespace almanac::proj
