// Rate limits: token buckets under named rules, and the per-address count of
// open WebSocket connections.
//
// A RateRule is "count requests per window, plus a burst": a bucket holds up
// to count + burst tokens and refills at count per window, continuously. The
// server's own rules are the authentication limit (per client IP) and the
// general limit (per user, per IP when anonymous); a contract or one of its
// routes may declare a RatePolicy of its own (the rule its document states,
// what a bucket belongs to), which configuration may replace by name
// (--rate-policy NAME=RULE; ServerConfig::rate_policies). Service::admit
// picks the rule of each route and asks the limiter.
//
// Thread-safe: every member of RateLimiter and ConnectionLimiter may be called
// from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace almanac::api {

struct RateRule {
  uint32_t count = 1;       // requests per window
  uint32_t window_s = 60;   // seconds
  uint32_t burst = 0;       // requests allowed at once beyond `count`

  // The most requests a full bucket allows at once.
  uint32_t capacity() const { return count + burst; }
  friend bool operator==(const RateRule&, const RateRule&) = default;
};

// Reads "10/s+20", "5/min", "100/60s", "10/s": COUNT/WINDOW[+BURST], the
// window one of s, min, h, or a number of seconds followed by s. nullopt when
// malformed or when the count or the window is 0.
std::optional<RateRule> parse_rate_rule(std::string_view text);
// Reads "NAME=RULE[,NAME=RULE...]" into `out` (later names win). Returns an
// error message, or an empty string when every entry read.
std::string parse_rate_policies(std::string_view text, std::map<std::string, RateRule, std::less<>>& out);
// "10/s+20", "5/min": the form parse_rate_rule reads.
std::string to_string(const RateRule& rule);

// What a bucket of a policy belongs to.
enum class RateKey {
  kClientIp,    // the client's address, signed in or not
  kUserOrIp,    // the signed-in user; the client's address when anonymous
};

// A rate limit a contract (Contract::rate_policy) or a route (Route::rate())
// declares: `name` is the configuration name, the metrics label and the
// namespace of its buckets; `rule` the default.
struct RatePolicy {
  std::string_view name;
  RateRule rule;
  RateKey key = RateKey::kUserOrIp;
};

struct RateDecision {
  bool allowed = true;
  uint32_t limit = 0;       // the bucket's capacity: requests allowed at once when full
  uint32_t remaining = 0;   // after this request
  int64_t reset_at_s = 0;   // UTC seconds when the bucket is full again
};

class RateLimiter {
 public:
  // Takes one token from the bucket `key` under `rule`. Keys of different
  // rules must differ (callers prefix the policy's name). A bucket seen for
  // the first time is full.
  RateDecision take(std::string_view key, const RateRule& rule, int64_t now_us);

  // Buckets held (full ones are dropped now and then).
  size_t buckets() const;

 private:
  struct Bucket {
    double tokens = 0;
    int64_t updated_us = 0;
    int64_t full_at_us = 0;   // when it holds its capacity again
  };
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
  int64_t last_sweep_us_ = 0;                         // guarded by mu_
};

// Open connections per client address, at most `limit` each (0: no limit).
// acquire() hands out a Slot that counts until it is destroyed.
class ConnectionLimiter {
 public:
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept : owner_(other.owner_), address_(std::move(other.address_)) { other.owner_ = nullptr; }
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }
    void release();

   private:
    friend class ConnectionLimiter;
    Slot(ConnectionLimiter* owner, std::string address) : owner_(owner), address_(std::move(address)) {}
    ConnectionLimiter* owner_ = nullptr;
    std::string address_;
  };

  // A slot for one more connection from `address`; nullopt when it already
  // holds `limit` of them.
  std::optional<Slot> acquire(std::string_view address, size_t limit);
  // Connections now counted for `address`.
  size_t open(std::string_view address) const;

 private:
  void release(const std::string& address);

  mutable std::mutex mu_;
  std::unordered_map<std::string, size_t> open_;  // guarded by mu_; no zero entries
};

}  // namespace almanac::api
