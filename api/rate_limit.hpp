// Token-bucket rate limits: per client IP on authentication routes, per user
// (per IP when anonymous) elsewhere. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace almanac::api {

struct RateDecision {
  bool allowed = true;
  uint32_t limit = 0;       // requests per window
  uint32_t remaining = 0;   // after this request
  int64_t reset_at_s = 0;   // UTC seconds when the bucket is full again
};

class RateLimiter {
 public:
  // `per_minute` requests per 60 s window, refilled continuously.
  RateLimiter(uint32_t auth_per_minute, uint32_t user_per_minute);

  // Takes one token from `key`'s bucket of the given class.
  RateDecision take(std::string_view key, bool auth_route, int64_t now_us);

 private:
  struct Bucket {
    double tokens = 0;
    int64_t updated_us = 0;
  };
  uint32_t auth_per_minute_, user_per_minute_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
  int64_t last_sweep_us_ = 0;                         // guarded by mu_
};

}  // namespace almanac::api
