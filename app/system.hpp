// The real clock and id source, injected into the core by the binary.
#pragma once

#include <sodium.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

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

// Version 4 UUIDs from the operating system's random source, fetched 4 KiB
// at a time: one system call per 256 UUIDs instead of one each. Not
// thread-safe; the writer's deciding thread is its only caller.
class RandomIds final : public IdSource {
 public:
  ev::Uuid uuid() override {
    if (next_ == pool_.size()) {
      randombytes_buf(pool_.data(), sizeof pool_);
      next_ = 0;
    }
    uint64_t w0 = pool_[next_++];
    uint64_t w1 = pool_[next_++];
    w0 = (w0 & ~0xF000ULL) | 0x4000ULL;                       // version 4
    w1 = (w1 & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL; // RFC 4122 variant
    return ev::Uuid(w0, w1);
  }

 private:
  std::array<uint64_t, 512> pool_{};
  size_t next_ = pool_.size();
};

}  // namespace almanac::app
