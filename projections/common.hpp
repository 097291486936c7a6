// Helpers shared by the read models: uuid keys, the id sets (IdSet, IdIndex;
// records by id are in the core's DenseMap, events/dense_map.hpp), ASCII case
// folding, text search, pagination and the order-independent digest behind
// ReadModels::checksum(). Internal to projections/. Nothing here is
// thread-safe by itself: ReadModels guards every instance with its lock.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "events/dense_map.hpp"
#include "events/schema_generated.h"
#include "projections/views.hpp"

namespace almanac::proj {

struct UuidKey {
  uint64_t hi = 0;
  uint64_t lo = 0;
  friend bool operator==(const UuidKey&, const UuidKey&) = default;
  // For absl::Hash (the uuid indexes are absl::flat_hash_map).
  template <typename H>
  friend H AbslHashValue(H h, const UuidKey& k) {
    return H::combine(std::move(h), k.hi, k.lo);
  }
};

inline UuidKey key_of(const ev::Uuid& u) { return {u.hi(), u.lo()}; }

// uuid -> dense id.
using UuidIndex = absl::flat_hash_map<UuidKey, int64_t>;
// string -> dense id; find() takes a key_view() without copying the string.
using StringIndex = absl::flat_hash_map<std::string, int64_t>;
// A lookup key for StringIndex (this abseil's string_view is its own type).
inline absl::string_view key_view(std::string_view s) { return {s.data(), s.size()}; }

// A set of ids as a sorted vector: one allocation, contiguous iteration in
// ascending order. Inserting above the largest id (the common case: ids are
// assigned in increasing order) is an append; other inserts and erases move
// the ids after the position, so it suits the small per-key sets of IdIndex.
class IdSet {
 public:
  bool insert(int64_t id) {
    if (ids_.empty() || ids_.back() < id) {
      if (ids_.capacity() == 0) ids_.reserve(4);  // skips the 1 -> 2 -> 4 regrowth
      ids_.push_back(id);
      return true;
    }
    auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (*it == id) return false;
    ids_.insert(it, id);
    return true;
  }
  bool erase(int64_t id) {
    auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (it == ids_.end() || *it != id) return false;
    ids_.erase(it);
    return true;
  }
  bool contains(int64_t id) const { return std::binary_search(ids_.begin(), ids_.end(), id); }
  bool empty() const { return ids_.empty(); }
  size_t size() const { return ids_.size(); }
  std::vector<int64_t>::const_iterator begin() const { return ids_.begin(); }
  std::vector<int64_t>::const_iterator end() const { return ids_.end(); }
  const std::vector<int64_t>& ids() const { return ids_; }

 private:
  std::vector<int64_t> ids_;  // ascending, no duplicates
};

// key -> ids, where the key is itself a dense id (an owner, a calendar, an
// event, a user). An empty set is dropped, so find() never returns one.
class IdIndex {
 public:
  void insert(int64_t key, int64_t id) { sets_.get_or_create(key).insert(id); }
  void erase(int64_t key, int64_t id) {
    IdSet* s = sets_.find(key);
    if (s != nullptr && s->erase(id) && s->empty()) sets_.erase(key);
  }
  // The ids under key, ascending; nullptr when there are none.
  const IdSet* find(int64_t key) const { return sets_.find(key); }

 private:
  DenseMap<IdSet> sets_;
};

// Ids in ascending order, each live or not, with a Fenwick tree over the
// live flags, so that the live id of any rank is found in O(log n): the index
// behind listings in id order with skip/limit (the users), where a page deep
// in the list must cost what the first page costs. An id is never removed,
// only marked not live, so positions stay put.
//
// Ids normally arrive in ascending order (decide() hands them out so): an
// insert is then an append, O(log n). A smaller id that is not yet held
// (only a log decide() did not write has one) is inserted in place and the
// tree rebuilt, O(n).
class RankedIds {
 public:
  // Makes `id` live (adding it when it is not held).
  void insert(int64_t id);
  // Marks `id` not live; false when it was not held or not live.
  bool erase(int64_t id);
  bool contains(int64_t id) const;
  // Live ids.
  size_t size() const { return live_count_; }
  // The live ids of ranks [skip, skip + limit), ascending: O(log n) to reach
  // the first, then O(1) for each following id (O(log n) after a run of ids
  // that are not live).
  std::vector<int64_t> range(size_t skip, size_t limit) const;

 private:
  // The position (0-based) of the live id of rank `rank`; requires rank < size().
  size_t position_of_rank(size_t rank) const;
  // Adds `delta` at position `pos` (0-based).
  void add(size_t pos, int32_t delta);
  void rebuild();

  std::vector<int64_t> ids_;    // ascending
  std::vector<uint8_t> live_;   // per position: 1 when live
  std::vector<int32_t> tree_;   // Fenwick tree over live_, 1-based (tree_[0] unused)
  size_t live_count_ = 0;
};

// ASCII lower case; other bytes (UTF-8 included) are kept as they are.
std::string ascii_lower(std::string_view s);

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
