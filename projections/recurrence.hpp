// Recurrence expansion for repeat_frequency none/daily/weekly/monthly/yearly
// with an inclusive repeat_until date. Pure arithmetic on civil dates: no
// allocation per skipped occurrence, and a window query jumps straight to the
// first occurrence that can overlap it, so its cost does not grow with the age
// of the series.
//
// Times are microseconds. For floating (naive local) events the same numbers
// are read as wall-clock times; the arithmetic is identical. Times before 1970
// are negative and handled like any other (days are floored, not truncated).
// Supported domain: times within 7,300,000 days of 1970-01-01 (about years
// -18000..21900); expand() clamps its window to it and a series must lie in it.
//
// Pure functions of their arguments: safe to call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "events/schema_generated.h"

namespace almanac::proj {

struct Series {
  int64_t start = 0;                    // first occurrence start
  int64_t end = 0;                      // first occurrence end (>= start)
  ev::RepeatFrequency frequency = ev::RepeatFrequency::None;
  std::optional<int32_t> until_day;     // days since 1970-01-01, inclusive:
                                        // an occurrence whose start falls on
                                        // or before this day is included.
                                        // Ignored for frequency None.
};

struct Occurrence {
  int64_t start = 0;
  int64_t end = 0;
  int64_t index = 0;                    // 0 for the first occurrence
};

// The start of occurrence `index` (index >= 0). Monthly keeps the series'
// own day of month, clamped to the month's last day (Jan 31 -> Feb 29 ->
// Mar 31 -> Apr 30); yearly Feb 29 falls on Feb 28 in common years and on
// Feb 29 again in leap years. The time of day is kept. Ignores until_day.
// For frequency None the only occurrence is index 0 and its start is returned.
int64_t occurrence_start(const Series& series, int64_t index);

// Appends to `out` the occurrences overlapping [window_start, window_end)
// (an occurrence overlaps when start < window_end and end > window_start; a
// zero-length one when window_start <= start < window_end), in start order,
// stopping after `cap` of them. Returns true when it stopped because of the
// cap (more occurrences exist in the window); false when every overlapping
// occurrence was appended (also when exactly `cap` were). Each occurrence
// keeps the series' duration. Existing elements of `out` are kept. A window
// with window_end < window_start is empty. Cost: a constant number of date
// conversions to reach the window, whatever the age of the series, then one
// per appended occurrence.
bool expand(const Series& series, int64_t window_start, int64_t window_end, size_t cap,
            std::vector<Occurrence>& out);

}  // namespace almanac::proj
