// bench/expand: recurrence expansion throughput and window cost.
//
// In one run it measures
//   (a) occurrences/s of proj::expand over 30-year daily, weekly and monthly
//       series, and the same series expanded by libical's RRULE iterator
//       (FREQ=DAILY|WEEKLY|MONTHLY;UNTIL=...) as the baseline, with the ratio;
//   (b) ns per one-month window query on a series started 1 year before the
//       window vs one started 30 years before (the ratio should be about 1),
//       next to libical answering the same window with
//       icalrecur_iterator_set_start.
// The monthly series repeats on the 15th: libical skips months that lack the
// series' day (BYMONTHDAY=31 has no February) where almanac clamps, so a day
// every month has keeps the two expansions identical. Occurrence counts of the
// two implementations are checked equal before any figure is printed.
//
// Usage: bench_expand [--seconds S]   (time per measurement, default 0.3;
//        window queries take the best of five rounds of S/5 per age)
// The lines starting with "result " are read by bench/expand/run.sh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <date/date.h>

#if __has_include(<libical/ical.h>)
#include <libical/ical.h>
#define ALMANAC_HAVE_LIBICAL 1
#endif

#include "events/time.hpp"
#include "projections/recurrence.hpp"

using almanac::kMicrosPerDay;
using almanac::ev::RepeatFrequency;
using almanac::proj::expand;
using almanac::proj::Occurrence;
using almanac::proj::Series;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr int64_t kMicrosPerHour = 3'600'000'000;
constexpr size_t kWindowCap = 10'000;
constexpr int kRounds = 5;  // alternating rounds per window measurement

double seconds_per_measure = 0.3;
uint64_t sink = 0;  // keeps results observable so no loop is optimised away
std::vector<std::string> results;  // "name value" lines, printed last

void record(const char* name, const char* series, double value) {
  char line[128];
  std::snprintf(line, sizeof line, "result %s %s %.6g", name, series, value);
  results.emplace_back(line);
}

int32_t day_of(int y, unsigned m, unsigned d) {
  return date::sys_days{date::year{y} / date::month{m} / date::day{d}}.time_since_epoch().count();
}

int64_t at(int y, unsigned m, unsigned d, int hour) {
  return int64_t{day_of(y, m, d)} * kMicrosPerDay + hour * kMicrosPerHour;
}

struct Spec {
  const char* name;
  RepeatFrequency frequency;
  const char* rrule_freq;
};

constexpr Spec kSpecs[] = {
    {"daily", RepeatFrequency::Daily, "DAILY"},
    {"weekly", RepeatFrequency::Weekly, "WEEKLY"},
    {"monthly", RepeatFrequency::Monthly, "MONTHLY"},
};

// Runs `body` (which returns the work units it did) repeatedly for about
// `seconds`; returns units per second.
template <class Body>
double rate(double seconds, Body&& body) {
  uint64_t units = 0;
  const auto t0 = SteadyClock::now();
  double elapsed = 0;
  do {
    for (int i = 0; i < 8; ++i) units += body();
    elapsed = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  } while (elapsed < seconds);
  return static_cast<double>(units) / elapsed;
}

// ---- (a) throughput -----------------------------------------------------------

// The throughput series: 2000-01-15 09:00-10:00, until 2029-12-31 inclusive.
Series throughput_series(RepeatFrequency f) {
  Series s;
  s.start = at(2000, 1, 15, 9);
  s.end = s.start + kMicrosPerHour;
  s.frequency = f;
  s.until_day = day_of(2029, 12, 31);
  return s;
}

size_t almanac_count(const Series& s, std::vector<Occurrence>& out) {
  out.clear();
  expand(s, s.start, int64_t{*s.until_day + 1} * kMicrosPerDay, SIZE_MAX, out);
  sink += static_cast<uint64_t>(out.back().start);
  return out.size();
}

#ifdef ALMANAC_HAVE_LIBICAL
size_t libical_count(const Spec& spec) {
  const std::string rule = std::string("FREQ=") + spec.rrule_freq + ";UNTIL=20291231T235959";
  const icalrecurrencetype recur = icalrecurrencetype_from_string(rule.c_str());
  const icaltimetype dtstart = icaltime_from_string("20000115T090000");
  icalrecur_iterator* it = icalrecur_iterator_new(recur, dtstart);
  size_t n = 0;
  for (icaltimetype t = icalrecur_iterator_next(it); !icaltime_is_null_time(t);
       t = icalrecur_iterator_next(it)) {
    sink += static_cast<uint64_t>(t.day);
    ++n;
  }
  icalrecur_iterator_free(it);
  return n;
}
#endif

// ---- (b) window cost ------------------------------------------------------------

// One-month windows in 2024, each month in turn, on a series that started
// `years_before` years before 2024-01-15, at 18:00 on the 15th.
struct WindowCase {
  Series series;
  int64_t windows[13];  // month starts 2024-01-01 .. 2025-01-01
};

WindowCase window_case(RepeatFrequency f, int years_before) {
  WindowCase c;
  c.series.start = at(2024 - years_before, 1, 15, 18);
  c.series.end = c.series.start + 2 * kMicrosPerHour;
  c.series.frequency = f;
  for (unsigned m = 0; m < 13; ++m) {
    c.windows[m] = m < 12 ? at(2024, m + 1, 1, 0) : at(2025, 1, 1, 0);
  }
  return c;
}

// Occurrences over the twelve windows, for checking that both ages (and
// both implementations) answer the same thing.
size_t almanac_window_total(const WindowCase& c) {
  std::vector<Occurrence> out;
  for (int m = 0; m < 12; ++m) expand(c.series, c.windows[m], c.windows[m + 1], kWindowCap, out);
  return out.size();
}

double almanac_window_ns(const WindowCase& c) {
  std::vector<Occurrence> out;
  out.reserve(64);
  size_t month = 0;
  const double qps = rate(seconds_per_measure / kRounds, [&] {
    out.clear();
    expand(c.series, c.windows[month], c.windows[month + 1], kWindowCap, out);
    month = month == 11 ? 0 : month + 1;
    sink += out.size();
    return 1;
  });
  return 1e9 / qps;
}

#ifdef ALMANAC_HAVE_LIBICAL
icaltimetype ical_time(int64_t us) {
  const int64_t day = (us >= 0 ? us : us - kMicrosPerDay + 1) / kMicrosPerDay;
  const date::year_month_day ymd{date::sys_days{date::days{day}}};
  const int64_t secs = (us - day * kMicrosPerDay) / 1'000'000;
  icaltimetype t = icaltime_null_time();
  t.year = static_cast<int>(ymd.year());
  t.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  t.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  t.hour = static_cast<int>(secs / 3600);
  t.minute = static_cast<int>(secs / 60 % 60);
  t.second = static_cast<int>(secs % 60);
  return t;
}

// The same window query through libical: an iterator positioned at the
// window start (set_start), stepped to the window end. Adds to `total` the
// occurrences found; `refused` is set when libical will not position it.
size_t libical_window(const icalrecurrencetype& recur, const icaltimetype& dtstart,
                      const icaltimetype& from, const icaltimetype& to, bool* refused) {
  icalrecur_iterator* it = icalrecur_iterator_new(recur, dtstart);
  if (!icalrecur_iterator_set_start(it, from)) *refused = true;
  size_t n = 0;
  for (icaltimetype t = icalrecur_iterator_next(it);
       !icaltime_is_null_time(t) && icaltime_compare(t, to) < 0; t = icalrecur_iterator_next(it)) {
    sink += static_cast<uint64_t>(t.day);
    ++n;
  }
  icalrecur_iterator_free(it);
  return n;
}

struct IcalWindows {
  icalrecurrencetype recur;
  icaltimetype dtstart;
  icaltimetype from[12];  // window start minus the two-hour duration
  icaltimetype to[12];
};

IcalWindows ical_windows(const WindowCase& c, const char* freq) {
  IcalWindows w;
  const std::string rule = std::string("FREQ=") + freq;
  w.recur = icalrecurrencetype_from_string(rule.c_str());
  w.dtstart = ical_time(c.series.start);
  for (int m = 0; m < 12; ++m) {
    w.from[m] = ical_time(c.windows[m] - 2 * kMicrosPerHour);
    w.to[m] = ical_time(c.windows[m + 1]);
  }
  return w;
}

// Returns the occurrences over the twelve windows, or SIZE_MAX when refused.
size_t libical_window_total(const IcalWindows& w) {
  bool refused = false;
  size_t n = 0;
  for (int m = 0; m < 12; ++m) n += libical_window(w.recur, w.dtstart, w.from[m], w.to[m], &refused);
  return refused ? SIZE_MAX : n;
}

double libical_window_ns(const IcalWindows& w) {
  bool refused = false;
  size_t month = 0;
  const double qps = rate(seconds_per_measure / kRounds, [&] {
    libical_window(w.recur, w.dtstart, w.from[month], w.to[month], &refused);
    month = month == 11 ? 0 : month + 1;
    return 1;
  });
  return 1e9 / qps;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds_per_measure = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bench_expand [--seconds S]\n");
      return 2;
    }
  }

  std::printf("bench/expand: recurrence expansion (%.2f s per measurement)\n\n",
              seconds_per_measure);
  std::printf("(a) throughput, series 2000-01-15 09:00 (1 h) until 2029-12-31, whole series "
              "per expansion;\n    monthly on the 15th (a day every month has, so libical "
              "and almanac agree)\n");
  int mismatches = 0;
  for (const Spec& spec : kSpecs) {
    const Series s = throughput_series(spec.frequency);
    std::vector<Occurrence> out;
    out.reserve(12'000);
    const size_t n = almanac_count(s, out);
    const double almanac_rate = rate(seconds_per_measure, [&] { return almanac_count(s, out); });
    std::printf("  %-8s %6zu occurrences  almanac %9.2f M occ/s\n", spec.name, n,
                almanac_rate / 1e6);
    record("almanac_occ_per_s", spec.name, almanac_rate);
#ifdef ALMANAC_HAVE_LIBICAL
    const size_t ical_n = libical_count(spec);
    if (ical_n != n) {
      std::printf("  MISMATCH: libical gives %zu occurrences\n", ical_n);
      ++mismatches;
      continue;
    }
    const double ical_rate = rate(seconds_per_measure, [&] { return libical_count(spec); });
    std::printf("  %-8s %6s              libical %9.2f M occ/s   almanac/libical %8.1fx\n", "", "",
                ical_rate / 1e6, almanac_rate / ical_rate);
    record("libical_occ_per_s", spec.name, ical_rate);
#else
    std::printf("  libical not available: no baseline\n");
#endif
  }

  std::printf("\n(b) one-month window query (12 windows of 2024 in turn, 2 h occurrences, cap %zu)\n",
              kWindowCap);
  struct WindowSpec {
    const char* name;
    RepeatFrequency frequency;
    const char* rrule_freq;
  };
  constexpr WindowSpec kWindowSpecs[] = {{"daily", RepeatFrequency::Daily, "DAILY"},
                                         {"weekly", RepeatFrequency::Weekly, "WEEKLY"},
                                         {"monthly", RepeatFrequency::Monthly, "MONTHLY"},
                                         {"yearly", RepeatFrequency::Yearly, "YEARLY"}};
  for (const WindowSpec& w : kWindowSpecs) {
    const WindowCase young = window_case(w.frequency, 1);
    const WindowCase old = window_case(w.frequency, 30);
    const size_t total = almanac_window_total(young);
    if (almanac_window_total(old) != total) {
      std::printf("  MISMATCH: %zu vs %zu occurrences over the windows\n", total,
                  almanac_window_total(old));
      ++mismatches;
    }
    // Best of kRounds alternating rounds, so load from elsewhere on the machine
    // does not land on one age only.
    double young_ns = 1e300;
    double old_ns = 1e300;
    for (int round = 0; round < kRounds; ++round) {
      young_ns = std::min(young_ns, almanac_window_ns(young));
      old_ns = std::min(old_ns, almanac_window_ns(old));
    }
    std::printf("  %-8s almanac  1 y old %8.1f ns/query   30 y old %8.1f ns/query   "
                "30y/1y %.2f   (%zu occurrences in the 12 windows)\n",
                w.name, young_ns, old_ns, old_ns / young_ns, total);
    record("almanac_window_ns_1y", w.name, young_ns);
    record("almanac_window_ns_30y", w.name, old_ns);
    record("almanac_window_ratio_30y_1y", w.name, old_ns / young_ns);
#ifdef ALMANAC_HAVE_LIBICAL
    const IcalWindows ical_young = ical_windows(young, w.rrule_freq);
    const IcalWindows ical_old = ical_windows(old, w.rrule_freq);
    const size_t ical_total = libical_window_total(ical_young);
    if (ical_total == SIZE_MAX || libical_window_total(ical_old) == SIZE_MAX) {
      std::printf("  %-8s libical refused set_start: no baseline\n", "");
      continue;
    }
    if (ical_total != total || libical_window_total(ical_old) != total) {
      std::printf("  MISMATCH: libical gives %zu occurrences over the windows\n", ical_total);
      ++mismatches;
      continue;
    }
    double ical_young_ns = 1e300;
    double ical_old_ns = 1e300;
    for (int round = 0; round < kRounds; ++round) {
      ical_young_ns = std::min(ical_young_ns, libical_window_ns(ical_young));
      ical_old_ns = std::min(ical_old_ns, libical_window_ns(ical_old));
    }
    std::printf("  %-8s libical  1 y old %8.1f ns/query   30 y old %8.1f ns/query   "
                "30y/1y %.2f   libical/almanac time %.0fx (30 y)\n",
                "", ical_young_ns, ical_old_ns, ical_old_ns / ical_young_ns, ical_old_ns / old_ns);
    record("libical_window_ns_1y", w.name, ical_young_ns);
    record("libical_window_ns_30y", w.name, ical_old_ns);
#endif
  }
  std::printf("\n");
  for (const std::string& line : results) std::printf("%s\n", line.c_str());
  std::printf("(checksum %llu)\n", static_cast<unsigned long long>(sink));
  return mismatches == 0 ? 0 : 1;
}
