#include "api/rate_limit.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace almanac::api {

namespace {

constexpr int64_t kUsPerS = 1'000'000;
// Full buckets are dropped at most this often (they carry no information: a
// bucket seen for the first time is full).
constexpr int64_t kSweepEveryUs = 60 * kUsPerS;

std::optional<uint32_t> number(std::string_view s) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<RateRule> parse_rate_rule(std::string_view text) {
  text = trim(text);
  RateRule r;
  if (size_t plus = text.find('+'); plus != std::string_view::npos) {
    auto burst = number(text.substr(plus + 1));
    if (!burst) return std::nullopt;
    r.burst = *burst;
    text = text.substr(0, plus);
  }
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto count = number(text.substr(0, slash));
  std::string_view window = text.substr(slash + 1);
  if (!count || *count == 0) return std::nullopt;
  r.count = *count;
  if (window == "s") {
    r.window_s = 1;
  } else if (window == "min") {
    r.window_s = 60;
  } else if (window == "h") {
    r.window_s = 3600;
  } else if (window.size() > 1 && window.back() == 's') {
    auto seconds = number(window.substr(0, window.size() - 1));
    if (!seconds || *seconds == 0) return std::nullopt;
    r.window_s = *seconds;
  } else {
    return std::nullopt;
  }
  return r;
}

std::string parse_rate_policies(std::string_view text, std::map<std::string, RateRule, std::less<>>& out) {
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view entry = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (entry.empty()) continue;
    const size_t eq = entry.find('=');
    std::string_view name = eq == std::string_view::npos ? std::string_view{} : trim(entry.substr(0, eq));
    if (name.empty())
      return "expected NAME=COUNT/WINDOW[+BURST] (e.g. admin=10/s+20), got '" + std::string(entry) + "'";
    auto rule = parse_rate_rule(entry.substr(eq + 1));
    if (!rule)
      return "the rule of '" + std::string(name) +
             "' is not COUNT/WINDOW[+BURST] with a count and a window of at least 1 (e.g. 10/s+20, 5/min)";
    out.insert_or_assign(std::string(name), *rule);
  }
  return {};
}

std::string to_string(const RateRule& rule) {
  std::string out = std::to_string(rule.count) + "/";
  if (rule.window_s == 1)
    out += "s";
  else if (rule.window_s == 60)
    out += "min";
  else if (rule.window_s == 3600)
    out += "h";
  else
    out += std::to_string(rule.window_s) + "s";
  if (rule.burst) out += "+" + std::to_string(rule.burst);
  return out;
}

// ---- RateLimiter ------------------------------------------------------------------

RateDecision RateLimiter::take(std::string_view key, const RateRule& rule, int64_t now_us) {
  const double capacity = std::max<uint32_t>(1, rule.capacity());
  const double per_us = double(std::max<uint32_t>(1, rule.count)) / (double(std::max<uint32_t>(1, rule.window_s)) * kUsPerS);

  std::lock_guard lock(mu_);
  if (now_us - last_sweep_us_ > kSweepEveryUs) {
    std::erase_if(buckets_, [&](const auto& kv) { return kv.second.full_at_us <= now_us; });
    last_sweep_us_ = now_us;
  }
  auto [it, fresh] = buckets_.try_emplace(std::string(key));
  Bucket& b = it->second;
  b.tokens = fresh ? capacity : std::min(capacity, b.tokens + double(now_us - b.updated_us) * per_us);
  b.updated_us = now_us;

  RateDecision d;
  d.limit = static_cast<uint32_t>(capacity);
  d.allowed = b.tokens >= 1.0;
  if (d.allowed) b.tokens -= 1.0;
  d.remaining = static_cast<uint32_t>(std::floor(b.tokens));
  const auto refill_us = static_cast<int64_t>(std::ceil((capacity - b.tokens) / per_us));
  b.full_at_us = now_us + refill_us;
  d.reset_at_s = b.full_at_us / kUsPerS + 1;
  return d;
}

size_t RateLimiter::buckets() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

// ---- ConnectionLimiter -----------------------------------------------------------------

ConnectionLimiter::Slot& ConnectionLimiter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    address_ = std::move(other.address_);
    other.owner_ = nullptr;
  }
  return *this;
}

void ConnectionLimiter::Slot::release() {
  if (owner_) owner_->release(address_);
  owner_ = nullptr;
}

std::optional<ConnectionLimiter::Slot> ConnectionLimiter::acquire(std::string_view address, size_t limit) {
  std::string key(address);
  {
    std::lock_guard lock(mu_);
    size_t& n = open_[key];
    if (limit != 0 && n >= limit) {
      if (n == 0) open_.erase(key);
      return std::nullopt;
    }
    ++n;
  }
  return Slot(this, std::move(key));
}

size_t ConnectionLimiter::open(std::string_view address) const {
  std::lock_guard lock(mu_);
  auto it = open_.find(std::string(address));
  return it == open_.end() ? 0 : it->second;
}

void ConnectionLimiter::release(const std::string& address) {
  std::lock_guard lock(mu_);
  auto it = open_.find(address);
  if (it == open_.end()) return;
  if (--it->second == 0) open_.erase(it);
}

}  // namespace almanac::api
