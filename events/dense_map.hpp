// DenseMap: records keyed by the dense int64 ids that decide() gives
// aggregates (per category: max id seen + 1, from 1). It is the one "by id"
// table of the core: the write state (commands/state.hpp, IdTable) and the
// read models (projections/) both keep their records in it, and it lives in
// events/ because those modules may share nothing else.
//
// Layout: the slot of id n is slot (n - 1) % kChunk of chunk (n - 1) / kChunk,
// so a lookup is two predictable loads, with no hashing and no per-record
// allocation. A chunk is allocated when its first slot is taken and freed when
// its last record is erased, so ids whose records are all gone (aggregates
// created and deleted long ago) cost a null pointer per kChunk ids: a server
// whose live records stay few while ids keep growing keeps a steady size.
//
// Hostile or corrupt ids: a slot is only allocated for an id in
// [1, 2 * (records in slots) + kMaxGap], in the chunk after the highest id
// ever given a slot (where the next dense id lands however many records were
// erased before it), or in a chunk that already exists. Any other id (below
// 1, or far beyond the ids in use, as a corrupt log could hold) goes to an
// ordered fallback map, so a stray id of 10^15 costs one map node, and a run
// of stray ids costs at most a chunk each. Where an id lives is fixed when
// its record is created, and lookups check both places, so an id the chunks
// later grow over stays in the fallback until it is erased. An id is never in
// both.
//
// Pointers and references to a record stay valid until that id is erased or
// the table is destroyed: neither chunk growth nor the fallback (a node-based
// map) moves a record. assign() replaces the value in place.
//
// Thread safety: none; the owner guards it (the writer thread owns the write
// state; ReadModels locks the read models).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace almanac {

template <typename T>
class DenseMap {
 public:
  static constexpr int64_t kChunkBits = 10;
  static constexpr int64_t kChunk = int64_t{1} << kChunkBits;
  static constexpr int64_t kMaxGap = 1'000'000;

  DenseMap() = default;
  DenseMap(DenseMap&&) noexcept = default;
  DenseMap& operator=(DenseMap&&) noexcept = default;
  // A deep copy: the copy's records are its own.
  DenseMap(const DenseMap& other) { *this = other; }
  DenseMap& operator=(const DenseMap& other) {
    if (this == &other) return *this;
    chunks_.clear();
    chunks_.resize(other.chunks_.size());
    for (size_t c = 0; c < other.chunks_.size(); ++c)
      if (other.chunks_[c]) chunks_[c] = std::make_unique<Chunk>(*other.chunks_[c]);
    fallback_ = other.fallback_;
    in_chunks_ = other.in_chunks_;
    top_ = other.top_;
    size_ = other.size_;
    return *this;
  }

  // The record of `id`, or nullptr when there is none.
  const T* find(int64_t id) const {
    if (const Slot* s = slot(id); s != nullptr && s->has_value()) return &**s;
    return fallback_.empty() ? nullptr : find_in_fallback(id);
  }
  T* find(int64_t id) { return const_cast<T*>(std::as_const(*this).find(id)); }
  bool contains(int64_t id) const { return find(id) != nullptr; }

  // The record of `id`, value-initialised first when there is none.
  T& get_or_create(int64_t id) {
    if (Slot* s = slot(id)) {
      if (s->has_value()) return **s;
      if (fallback_.empty()) return take(id);
    }
    return create(id);
  }

  // Replaces (or creates) the record of `id`.
  T& assign(int64_t id, T value) {
    T& record = get_or_create(id);
    record = std::move(value);
    return record;
  }

  // Removes the record of `id`, and frees its chunk when that was the
  // chunk's last record; true when there was one.
  bool erase(int64_t id) {
    if (Slot* s = slot(id); s != nullptr && s->has_value()) {
      s->reset();
      --in_chunks_;
      --size_;
      std::unique_ptr<Chunk>& chunk = chunks_[chunk_of(id)];
      if (--chunk->taken == 0) chunk.reset();
      return true;
    }
    if (fallback_.empty() || fallback_.erase(id) == 0) return false;
    --size_;
    return true;
  }

  // Records held, wherever they live.
  size_t size() const { return size_; }
  // Slots the allocated chunks hold, taken or not: the memory the table has
  // reserved besides its records in the fallback.
  size_t reserved_slots() const {
    size_t n = 0;
    for (const auto& chunk : chunks_) n += chunk ? static_cast<size_t>(kChunk) : 0;
    return n;
  }

  // Calls f(id, record) for every record in ascending id order. When f
  // returns bool, false stops the walk.
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
    // The fallback's ids are merged in: below 1, beyond the chunks, or in
    // slots of the chunks that are empty.
    auto next = fallback_.begin();
    for (size_t c = 0; c < chunks_.size(); ++c) {
      const Chunk* chunk = chunks_[c].get();
      if (chunk == nullptr) continue;
      const int64_t base = static_cast<int64_t>(c << kChunkBits) + 1;
      for (size_t i = 0; i < static_cast<size_t>(kChunk); ++i) {
        const Slot& s = chunk->slots[i];
        if (!s.has_value()) continue;
        const int64_t id = base + static_cast<int64_t>(i);
        for (; next != fallback_.end() && next->first < id; ++next)
          if (!call(next->first, next->second)) return;
        if (!call(id, *s)) return;
      }
    }
    for (; next != fallback_.end(); ++next)
      if (!call(next->first, next->second)) return;
  }

 private:
  using Slot = std::optional<T>;
  struct Chunk {
    std::array<Slot, static_cast<size_t>(kChunk)> slots;
    size_t taken = 0;   // slots holding a record
  };

  // The chunk index of `id`, and its slot in that chunk. Ids below 1 wrap to
  // an index no chunk has.
  static uint64_t chunk_of(int64_t id) { return (static_cast<uint64_t>(id) - 1) >> kChunkBits; }
  static size_t slot_in_chunk(int64_t id) {
    return static_cast<size_t>((static_cast<uint64_t>(id) - 1) & (kChunk - 1));
  }

  // The slot of `id` when its chunk exists, else nullptr.
  const Slot* slot(int64_t id) const {
    const uint64_t c = chunk_of(id);
    if (c >= chunks_.size()) return nullptr;
    const Chunk* chunk = chunks_[c].get();
    return chunk == nullptr ? nullptr : &chunk->slots[slot_in_chunk(id)];
  }
  Slot* slot(int64_t id) { return const_cast<Slot*>(std::as_const(*this).slot(id)); }

  // Fills the empty slot of `id`, in a chunk that exists.
  T& take(int64_t id) {
    Chunk& chunk = *chunks_[chunk_of(id)];
    Slot& s = chunk.slots[slot_in_chunk(id)];
    s.emplace();
    ++chunk.taken;
    ++in_chunks_;
    ++size_;
    top_ = std::max(top_, id);
    return *s;
  }

  // The fallback lookup and the creation of a new chunk or of a fallback
  // record are rare (hostile ids; one chunk per kChunk ids) and kept out of
  // line, so the lookups inlined into every apply() stay small: inlined, they
  // cost the write state's replay about 5% more instructions.
  [[gnu::noinline]] const T* find_in_fallback(int64_t id) const {
    auto it = fallback_.find(id);
    return it == fallback_.end() ? nullptr : &it->second;
  }

  // The record of `id` when it is in the fallback, else a new one: in its
  // slot, in a new chunk, or in the fallback.
  [[gnu::noinline]] T& create(int64_t id) {
    if (!fallback_.empty()) {
      auto it = fallback_.find(id);
      if (it != fallback_.end()) return it->second;
    }
    if (slot(id) != nullptr) return take(id);   // its chunk exists: no new memory
    const auto u = static_cast<uint64_t>(id);
    const bool in_range = u <= 2 * static_cast<uint64_t>(in_chunks_) + static_cast<uint64_t>(kMaxGap) ||
                         chunk_of(id) <= chunk_of(top_) + 1;
    if (id < 1 || !in_range) {
      ++size_;
      return fallback_.try_emplace(id).first->second;
    }
    const auto c = static_cast<size_t>(chunk_of(id));
    if (c >= chunks_.size()) chunks_.resize(c + 1);
    chunks_[c] = std::make_unique<Chunk>();
    return take(id);
  }

  std::vector<std::unique_ptr<Chunk>> chunks_;  // by (id - 1) / kChunk; null: no record in it
  std::map<int64_t, T> fallback_;               // ids that got no slot (see above)
  size_t in_chunks_ = 0;                        // records in chunks_
  size_t size_ = 0;                             // records in both
  int64_t top_ = 1;                             // the highest id ever given a slot (1: none yet)
};

}  // namespace almanac
