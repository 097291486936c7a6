// The two sources of non-determinism the core may use, injected so that
// decide() stays a pure function and tests can pin them.
#pragma once

#include <cstdint>
#include <ctime>

#include "events/schema_generated.h"

namespace almanac {

class Clock {
 public:
  virtual ~Clock() = default;
  // UTC microseconds since the Unix epoch.
  virtual int64_t now_us() = 0;
};

class IdSource {
 public:
  virtual ~IdSource() = default;
  // A random (version 4) UUID.
  virtual ev::Uuid uuid() = 0;
};

// CPU seconds used so far by the calling thread and by the whole process:
// what replay's statistics and the benchmarks report. Not for decide().
inline double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
inline double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A clock a test moves by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_us = 1'700'000'000'000'000) : now_(start_us) {}
  int64_t now_us() override { return now_; }
  void set(int64_t us) { now_ = us; }
  void advance(int64_t us) { now_ += us; }

 private:
  int64_t now_;
};

// Deterministic UUIDs (a counter in the low bits, version/variant bits set).
class SequentialIds final : public IdSource {
 public:
  ev::Uuid uuid() override {
    ++n_;
    return ev::Uuid(0x0000000000004000ULL, 0x8000000000000000ULL | n_);
  }

 private:
  uint64_t n_ = 0;
};

}  // namespace almanac
