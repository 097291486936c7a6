// Rate rules as configuration reads them, token buckets under them, and the
// per-address connection count.
#include <catch2/catch.hpp>

#include "api/rate_limit.hpp"

using namespace almanac::api;

namespace {
constexpr int64_t kS = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kS;
}  // namespace

TEST_CASE("rate rules read as COUNT/WINDOW+BURST and print back the same") {
  CHECK(parse_rate_rule("10/s+20") == RateRule{10, 1, 20});
  CHECK(parse_rate_rule("5/min") == RateRule{5, 60, 0});
  CHECK(parse_rate_rule(" 100/h ") == RateRule{100, 3600, 0});
  CHECK(parse_rate_rule("7/90s+3") == RateRule{7, 90, 3});
  for (const char* bad : {"", "10", "10/", "/s", "0/s", "10/0s", "10/day", "10/s+", "10/s+x", "-1/s", "10/s+20+1"})
    CHECK_FALSE(parse_rate_rule(bad));
  CHECK(to_string(RateRule{10, 1, 20}) == "10/s+20");
  CHECK(to_string(RateRule{5, 60, 0}) == "5/min");
  CHECK(to_string(RateRule{7, 90, 3}) == "7/90s+3");
  CHECK(parse_rate_rule(to_string(RateRule{3, 3600, 1})) == RateRule{3, 3600, 1});
}

TEST_CASE("rate policies configured by name: later entries win, errors say which") {
  std::map<std::string, RateRule, std::less<>> out;
  CHECK(parse_rate_policies("admin=10/s+20, other=5/min,admin=2/s", out).empty());
  CHECK(out.size() == 2);
  CHECK(out["admin"] == RateRule{2, 1, 0});
  CHECK(out["other"] == RateRule{5, 60, 0});
  CHECK(parse_rate_policies("", out).empty());
  CHECK_FALSE(parse_rate_policies("admin", out).empty());
  CHECK_FALSE(parse_rate_policies("=10/s", out).empty());
  const std::string error = parse_rate_policies("admin=ten/s", out);
  CHECK(error.find("admin") != std::string::npos);
}

TEST_CASE("a bucket allows count + burst at once, then refills at count per window") {
  RateLimiter limiter;
  const RateRule rule{10, 1, 20};
  for (uint32_t i = 0; i < 30; ++i) {
    RateDecision d = limiter.take("admin|ip:a", rule, kT0);
    REQUIRE(d.allowed);
    CHECK(d.limit == 30);
    CHECK(d.remaining == 29 - i);
  }
  RateDecision refused = limiter.take("admin|ip:a", rule, kT0);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.remaining == 0);
  // Full again 3 s later (30 tokens at 10/s); reported as the next whole second.
  CHECK(refused.reset_at_s == kT0 / kS + 3 + 1);
  // Another key has its own bucket.
  CHECK(limiter.take("admin|ip:b", rule, kT0).allowed);
  // A tenth of a second (and a little) gives one token back, no more.
  CHECK(limiter.take("admin|ip:a", rule, kT0 + kS / 10 + 10).allowed);
  CHECK_FALSE(limiter.take("admin|ip:a", rule, kT0 + kS / 10 + 10).allowed);
  // After a second, ten.
  int allowed = 0;
  for (int i = 0; i < 15; ++i) allowed += limiter.take("admin|ip:a", rule, kT0 + kS + kS / 10).allowed;
  CHECK(allowed == 10);
}

TEST_CASE("a per-minute rule without a burst is the old window limit") {
  RateLimiter limiter;
  const RateRule rule{5, 60, 0};
  for (int i = 0; i < 5; ++i) CHECK(limiter.take("auth|ip:a", rule, kT0).allowed);
  RateDecision d = limiter.take("auth|ip:a", rule, kT0);
  CHECK_FALSE(d.allowed);
  CHECK(d.limit == 5);
  CHECK_FALSE(limiter.take("auth|ip:a", rule, kT0 + 11 * kS).allowed);
  CHECK(limiter.take("auth|ip:a", rule, kT0 + 13 * kS).allowed);
}

TEST_CASE("full buckets are dropped: the map holds only clients still refilling") {
  RateLimiter limiter;
  const RateRule fast{10, 1, 0}, slow{1, 3600, 0};
  limiter.take("fast|ip:a", fast, kT0);
  limiter.take("slow|ip:a", slow, kT0);
  CHECK(limiter.buckets() == 2);
  // A minute later the fast bucket is full (dropped), the slow one is not.
  limiter.take("fast|ip:b", fast, kT0 + 61 * kS);
  CHECK(limiter.buckets() == 2);
  CHECK_FALSE(limiter.take("slow|ip:a", slow, kT0 + 62 * kS).allowed);
}

TEST_CASE("connections per address: the slot counts until released, the next one over is refused") {
  ConnectionLimiter limiter;
  std::vector<ConnectionLimiter::Slot> held;
  for (int i = 0; i < 3; ++i) {
    auto slot = limiter.acquire("10.0.0.1", 3);
    REQUIRE(slot);
    held.push_back(std::move(*slot));
  }
  CHECK(limiter.open("10.0.0.1") == 3);
  CHECK_FALSE(limiter.acquire("10.0.0.1", 3));
  CHECK(limiter.acquire("10.0.0.2", 3));   // released at once: a temporary
  CHECK(limiter.open("10.0.0.2") == 0);
  held.pop_back();
  CHECK(limiter.open("10.0.0.1") == 2);
  auto again = limiter.acquire("10.0.0.1", 3);
  CHECK(again);
  ConnectionLimiter::Slot moved = std::move(*again);
  again.reset();   // the moved-from slot releases nothing
  CHECK(limiter.open("10.0.0.1") == 3);
  moved.release();
  moved.release();   // once only
  CHECK(limiter.open("10.0.0.1") == 2);
  // 0: no limit.
  std::vector<ConnectionLimiter::Slot> many;
  for (int i = 0; i < 100; ++i) many.push_back(std::move(*limiter.acquire("10.0.0.3", 0)));
  CHECK(limiter.open("10.0.0.3") == 100);
}
