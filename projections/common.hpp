// Helpers shared by the read models: uuid keys, ASCII case folding, text
// search, pagination and the order-independent digest behind
// ReadModels::checksum(). Internal to projections/.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "events/schema_generated.h"
#include "projections/views.hpp"

namespace almanac::proj {

struct UuidKey {
  uint64_t hi = 0;
  uint64_t lo = 0;
  friend bool operator==(const UuidKey&, const UuidKey&) = default;
};

struct UuidKeyHash {
  size_t operator()(const UuidKey& k) const noexcept {
    return static_cast<size_t>(k.hi * 0x9E3779B97F4A7C15ull ^ k.lo);
  }
};

inline UuidKey key_of(const ev::Uuid& u) { return {u.hi(), u.lo()}; }

// ASCII lower case; other bytes (UTF-8 included) are kept as they are.
std::string ascii_lower(std::string_view s);

// True when `needle_lower` (already ASCII-lowered) occurs in `hay`, comparing
// ASCII letters without case. An empty needle matches everything.
bool contains_ci(std::string_view hay, std::string_view needle_lower);

// a - b and a + b clamped to the int64 range.
int64_t sat_sub(int64_t a, int64_t b);
int64_t sat_add(int64_t a, int64_t b);

// Items [skip, skip + limit) of `all`, with total = all.size().
template <typename T>
Page<T> paginate(std::vector<T> all, size_t skip, size_t limit) {
  Page<T> page;
  page.total = all.size();
  if (skip < all.size()) {
    size_t n = std::min(limit, all.size() - skip);
    page.items.assign(std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(skip)),
                      std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(skip + n)));
  }
  return page;
}

// A 64-bit FNV-1a digest of one record's fields. Deterministic across runs and
// builds (no std::hash): checksums written by one run are compared by the next.
class Digest {
 public:
  Digest& add(uint64_t v);
  Digest& add(int64_t v) { return add(static_cast<uint64_t>(v)); }
  Digest& add(int32_t v) { return add(static_cast<uint64_t>(static_cast<int64_t>(v))); }
  Digest& add(bool v) { return add(static_cast<uint64_t>(v ? 1 : 0)); }
  Digest& add(std::string_view s);
  template <typename T>
  Digest& add(const std::optional<T>& v) {
    add(v.has_value());
    if (v) add(*v);
    return *this;
  }
  Digest& add(const ev::Uuid& u) { return add(u.hi()).add(u.lo()); }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 14695981039346656037ull;
};

// An order-independent set digest: the sum of the mixed digests of the
// records, so the iteration order of a hash map does not matter.
class SetDigest {
 public:
  void add(uint64_t record_digest);
  uint64_t value() const { return sum_ ^ (count_ * 0x9E3779B97F4A7C15ull); }

 private:
  uint64_t sum_ = 0;
  uint64_t count_ = 0;
};

}  // namespace almanac::proj
