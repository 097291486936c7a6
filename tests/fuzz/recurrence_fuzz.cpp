// Recurrence parameters (projections/recurrence): expand() over fuzzed series
// (start, duration, frequency, until) and windows, checked against the
// occurrences counted one by one with occurrence_start().
//
// Fails on: a crash or sanitizer report; occurrences out of order, outside
// the window, past `until`, of another duration, or not where
// occurrence_start() puts them; more than `cap` of them; a missing one.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "events/time.hpp"
#include "projections/recurrence.hpp"

using namespace almanac;

namespace {

constexpr int64_t kDomainDays = 7'000'000;  // inside the documented domain

int64_t floor_day(int64_t t) { return t / kMicrosPerDay - (t % kMicrosPerDay < 0 ? 1 : 0); }

bool overlaps(int64_t s, int64_t e, int64_t ws, int64_t we) {
  return s == e ? (ws <= s && s < we) : (s < we && e > ws);
}

// The case at hand, printed with a failure.
struct Case {
  proj::Series s;
  int64_t ws = 0, we = 0;
  size_t cap = 0;
};
thread_local Case current;

[[noreturn]] void fail(const char* what) {
  const Case& c = current;
  std::fprintf(stderr,
               "recurrence_fuzz: %s\n  series start %lld end %lld frequency %d until_day %s\n"
               "  window [%lld, %lld) cap %zu\n",
               what, static_cast<long long>(c.s.start), static_cast<long long>(c.s.end),
               static_cast<int>(c.s.frequency), c.s.until_day ? std::to_string(*c.s.until_day).c_str() : "none",
               static_cast<long long>(c.ws), static_cast<long long>(c.we), c.cap);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  proj::Series s;
  s.start = in.ConsumeIntegralInRange<int64_t>(-kDomainDays * kMicrosPerDay, kDomainDays * kMicrosPerDay);
  s.end = s.start + in.ConsumeIntegralInRange<int64_t>(0, 400 * kMicrosPerDay);
  s.frequency = static_cast<ev::RepeatFrequency>(in.ConsumeIntegralInRange(0, 4));
  if (in.ConsumeBool()) s.until_day = in.ConsumeIntegralInRange<int32_t>(-7'300'000, 7'300'000);
  // Windows near the series most of the time, anywhere otherwise.
  int64_t ws = in.ConsumeBool() ? s.start + in.ConsumeIntegralInRange<int64_t>(-800, 4000) * kMicrosPerDay
                                : in.ConsumeIntegral<int64_t>() / 2;
  int64_t we = ws + in.ConsumeIntegralInRange<int64_t>(-kMicrosPerDay, 3000 * kMicrosPerDay);
  const size_t cap = in.ConsumeIntegralInRange<size_t>(1, 400);

  current = Case{s, ws, we, cap};
  std::vector<proj::Occurrence> out;
  const bool capped = proj::expand(s, ws, we, cap, out);
  if (out.size() > cap) fail("more occurrences than the cap");
  if (capped && out.size() != cap) fail("capped with fewer occurrences than the cap");
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& o = out[i];
    if (i > 0 && (o.start <= out[i - 1].start || o.index <= out[i - 1].index)) fail("occurrences out of order");
    if (o.end - o.start != s.end - s.start) fail("an occurrence of another duration");
    if (!overlaps(o.start, o.end, ws, we)) fail("an occurrence outside the window");
    if (proj::occurrence_start(s, o.index) != o.start) fail("an occurrence not where occurrence_start puts it");
    if (s.frequency == ev::RepeatFrequency::None && o.index != 0) fail("a second occurrence of a single event");
    if (s.frequency != ev::RepeatFrequency::None && s.until_day && floor_day(o.start) > *s.until_day)
      fail("an occurrence past until");
  }

  // Count them one by one where that is cheap: every occurrence before the
  // window's end, when there are few.
  std::vector<int64_t> expected;
  bool complete = false;
  const int64_t last = s.frequency == ev::RepeatFrequency::None ? 1 : 5000;
  for (int64_t idx = 0; idx < last; ++idx) {
    const int64_t start = proj::occurrence_start(s, idx);
    if (start >= we || start >= 7'300'000 * kMicrosPerDay ||
        (s.frequency != ev::RepeatFrequency::None && s.until_day && floor_day(start) > *s.until_day)) {
      complete = true;
      break;
    }
    if (overlaps(start, start + (s.end - s.start), ws, we)) expected.push_back(idx);
  }
  if (s.frequency == ev::RepeatFrequency::None) complete = true;
  if (complete && !(we < ws)) {
    const size_t want = std::min(expected.size(), cap);
    if (out.size() != want) fail("a missing or extra occurrence");
    for (size_t i = 0; i < want; ++i)
      if (out[i].index != expected[i]) fail("an occurrence other than the one expected");
    if (capped != (expected.size() > cap)) fail("capped when all occurrences fit, or the reverse");
  }
  return 0;
}
