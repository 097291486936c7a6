// Recurrence expansion for repeat_frequency none/daily/weekly/monthly/yearly
// with an inclusive repeat_until date. Pure arithmetic on civil dates: no
// allocation per skipped occurrence, and a window query jumps straight to the
// first occurrence that can overlap it, so its cost does not grow with the age
// of the series.
//
// Times are microseconds. For floating (naive local) events the same numbers
// are read as wall-clock times; the arithmetic is identical.
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
  std::optional<int32_t> until_day;     // days since 1970-01-01, inclusive
};

struct Occurrence {
  int64_t start = 0;
  int64_t end = 0;
  int64_t index = 0;                    // 0 for the first occurrence
};

// The start of occurrence `index` (index >= 0). Monthly keeps the series'
// own day of month, clamped to the month's last day (Jan 31 -> Feb 29 ->
// Mar 31 -> Apr 30); yearly Feb 29 falls on Feb 28 in common years.
int64_t occurrence_start(const Series& series, int64_t index);

// Appends to `out` the occurrences overlapping [window_start, window_end)
// (an occurrence overlaps when start < window_end and end > window_start; a
// zero-length one when window_start <= start < window_end), in start order,
// stopping after `cap` of them. Returns true when it stopped because of the
// cap (more occurrences exist in the window).
bool expand(const Series& series, int64_t window_start, int64_t window_end, size_t cap,
            std::vector<Occurrence>& out);

}  // namespace almanac::proj
