#include "api/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace almanac::api {

namespace {
constexpr int64_t kWindowUs = 60'000'000;
}

RateLimiter::RateLimiter(uint32_t auth_per_minute, uint32_t user_per_minute)
    : auth_per_minute_(std::max<uint32_t>(1, auth_per_minute)),
      user_per_minute_(std::max<uint32_t>(1, user_per_minute)) {}

RateDecision RateLimiter::take(std::string_view key, bool auth_route, int64_t now_us) {
  const uint32_t limit = auth_route ? auth_per_minute_ : user_per_minute_;
  const double per_us = double(limit) / kWindowUs;
  std::string k = (auth_route ? "a|" : "u|") + std::string(key);

  std::lock_guard lock(mu_);
  // Full buckets carry no information: drop them now and then so the map
  // holds only clients seen within the last window.
  if (now_us - last_sweep_us_ > kWindowUs) {
    std::erase_if(buckets_, [&](const auto& kv) { return now_us - kv.second.updated_us > kWindowUs; });
    last_sweep_us_ = now_us;
  }
  auto [it, fresh] = buckets_.try_emplace(std::move(k));
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = limit;
  } else {
    b.tokens = std::min<double>(limit, b.tokens + (now_us - b.updated_us) * per_us);
  }
  b.updated_us = now_us;

  RateDecision d;
  d.limit = limit;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    d.allowed = true;
  } else {
    d.allowed = false;
  }
  d.remaining = static_cast<uint32_t>(std::floor(b.tokens));
  const double missing = limit - b.tokens;
  d.reset_at_s = (now_us + static_cast<int64_t>(std::ceil(missing / per_us))) / 1'000'000 + 1;
  return d;
}

}  // namespace almanac::api
