// The real clock and id source, injected into the core by the binary.
#pragma once

#include <sodium.h>

#include <chrono>

#include "events/clock.hpp"

namespace almanac::app {

class SystemClock final : public Clock {
 public:
  int64_t now_us() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Version 4 UUIDs from the operating system's random source.
class RandomIds final : public IdSource {
 public:
  ev::Uuid uuid() override {
    uint64_t w[2];
    randombytes_buf(w, sizeof w);
    w[0] = (w[0] & ~0xF000ULL) | 0x4000ULL;                       // version 4
    w[1] = (w[1] & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL; // RFC 4122 variant
    return ev::Uuid(w[0], w[1]);
  }
};

}  // namespace almanac::app
