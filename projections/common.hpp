// Helpers shared by the read models: uuid keys, the dense-id containers
// (DenseMap, IdSet, IdIndex), ASCII case folding, text search, pagination and
// the order-independent digest behind ReadModels::checksum(). Internal to
// projections/. Nothing here is thread-safe by itself: ReadModels guards
// every instance with its lock.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
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

// Records keyed by the dense ids the command layer assigns (per category:
// max seen + 1, from 1): fixed-size chunks of slots indexed by id - 1, so a
// lookup is two predictable loads instead of a hash probe or a tree walk, and
// growing never moves a record (a new chunk is added).
//
// A corrupt or unexpected id cannot blow up memory: an id below 1, or one
// more than kMaxGap slots past the last chunk, goes to an ordered fallback
// map instead (so a stray id of 10^15 costs one map node). When the chunks
// later grow over an id held by the fallback, that record moves into its
// slot. Invariant: an id is in a slot when 1 <= id <= slot count, in the
// fallback otherwise, never in both.
//
// Pointers and references to a record stay valid until that id is erased or
// assigned, except for fallback records that growth moves into a slot.
template <typename T>
class DenseMap {
 public:
  static constexpr int64_t kMaxGap = 1'000'000;

  T* find(int64_t id) {
    if (in_slots(id)) {
      std::optional<T>& slot = slot_of(id);
      return slot ? &*slot : nullptr;
    }
    if (fallback_.empty()) return nullptr;
    auto it = fallback_.find(id);
    return it == fallback_.end() ? nullptr : &it->second;
  }
  const T* find(int64_t id) const { return const_cast<DenseMap*>(this)->find(id); }
  bool contains(int64_t id) const { return find(id) != nullptr; }

  // The record at id, value-initialised when there was none.
  T& get_or_create(int64_t id) {
    if (!in_slots(id) && id >= 1 && id - slot_count() <= kMaxGap) grow_to(id);
    if (in_slots(id)) {
      std::optional<T>& slot = slot_of(id);
      if (!slot) {
        slot.emplace();
        ++size_;
      }
      return *slot;
    }
    auto [it, fresh] = fallback_.try_emplace(id);
    if (fresh) ++size_;
    return it->second;
  }

  // Replaces (or creates) the record at id.
  T& assign(int64_t id, T value) {
    T& slot = get_or_create(id);
    slot = std::move(value);
    return slot;
  }

  // True when there was a record to remove.
  bool erase(int64_t id) {
    if (in_slots(id)) {
      std::optional<T>& slot = slot_of(id);
      if (!slot) return false;
      slot.reset();
      --size_;
      return true;
    }
    if (fallback_.erase(id) == 0) return false;
    --size_;
    return true;
  }

  size_t size() const { return size_; }

  // Calls f(id, record) in ascending id order. When f returns bool, false
  // stops the walk.
  template <typename F>
  void for_each(F&& f) const {
    auto call = [&f](int64_t id, const T& v) {
      if constexpr (std::is_same_v<std::invoke_result_t<F&, int64_t, const T&>, bool>) {
        return f(id, v);
      } else {
        f(id, v);
        return true;
      }
    };
    auto it = fallback_.begin();
    for (; it != fallback_.end() && it->first < 1; ++it) {
      if (!call(it->first, it->second)) return;
    }
    for (size_t c = 0; c < chunks_.size(); ++c) {
      for (size_t i = 0; i < kChunk; ++i) {
        const std::optional<T>& slot = (*chunks_[c])[i];
        if (slot && !call(static_cast<int64_t>(c * kChunk + i + 1), *slot)) return;
      }
    }
    for (; it != fallback_.end(); ++it) {
      if (!call(it->first, it->second)) return;
    }
  }

 private:
  static constexpr size_t kChunk = 1024;
  using Chunk = std::array<std::optional<T>, kChunk>;

  int64_t slot_count() const { return static_cast<int64_t>(chunks_.size() * kChunk); }
  bool in_slots(int64_t id) const { return id >= 1 && id <= slot_count(); }
  std::optional<T>& slot_of(int64_t id) {
    const auto i = static_cast<size_t>(id - 1);
    return (*chunks_[i / kChunk])[i % kChunk];
  }

  void grow_to(int64_t id) {
    const int64_t old = slot_count();
    while (slot_count() < id) chunks_.push_back(std::make_unique<Chunk>());
    if (fallback_.empty()) return;
    auto it = fallback_.lower_bound(old + 1);
    while (it != fallback_.end() && it->first <= slot_count()) {
      slot_of(it->first).emplace(std::move(it->second));
      it = fallback_.erase(it);
    }
  }

  std::vector<std::unique_ptr<Chunk>> chunks_;  // slot of id: chunks_[(id-1) / kChunk]
  std::map<int64_t, T> fallback_;               // ids outside [1, slot_count()]
  size_t size_ = 0;                             // records in both
};

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
