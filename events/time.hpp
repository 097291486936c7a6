// The unit of the core's times: every time is UTC microseconds since the
// Unix epoch (a day of it has no leap second, as in Unix time), and a date
// is a count of whole days since 1970-01-01.
#pragma once

#include <cstdint>

namespace almanac {

// Microseconds in a day: day n starts at n * kMicrosPerDay.
inline constexpr int64_t kMicrosPerDay = 86'400'000'000;

}  // namespace almanac
