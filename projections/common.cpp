#include "projections/common.hpp"

namespace almanac::proj {

namespace {
char lower_char(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

uint64_t mix64(uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}
}  // namespace

// ---- RankedIds -------------------------------------------------------------------

namespace {
size_t lowbit(size_t i) { return i & (~i + 1); }
}  // namespace

void RankedIds::insert(int64_t id) {
  if (ids_.empty() || ids_.back() < id) {
    // Append at 1-based position i: its node covers (i - lowbit(i), i], the
    // sum of the new flag and of the nodes that make up that range below i.
    ids_.push_back(id);
    live_.push_back(1);
    const size_t i = ids_.size();
    int32_t sum = 1;
    for (size_t j = i - 1, stop = i - lowbit(i); j > stop; j -= lowbit(j)) sum += tree_[j];
    if (tree_.empty()) tree_.push_back(0);
    tree_.push_back(sum);
    ++live_count_;
    return;
  }
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  const auto pos = static_cast<size_t>(it - ids_.begin());
  if (it != ids_.end() && *it == id) {
    if (!live_[pos]) {
      live_[pos] = 1;
      add(pos, 1);
      ++live_count_;
    }
    return;
  }
  ids_.insert(it, id);
  live_.insert(live_.begin() + static_cast<std::ptrdiff_t>(pos), 1);
  ++live_count_;
  rebuild();
}

bool RankedIds::erase(int64_t id) {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it == ids_.end() || *it != id) return false;
  const auto pos = static_cast<size_t>(it - ids_.begin());
  if (!live_[pos]) return false;
  live_[pos] = 0;
  add(pos, -1);
  --live_count_;
  return true;
}

bool RankedIds::contains(int64_t id) const {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  return it != ids_.end() && *it == id && live_[static_cast<size_t>(it - ids_.begin())];
}

void RankedIds::add(size_t pos, int32_t delta) {
  for (size_t i = pos + 1; i < tree_.size(); i += lowbit(i)) tree_[i] += delta;
}

void RankedIds::rebuild() {
  tree_.assign(ids_.size() + 1, 0);
  for (size_t i = 1; i <= ids_.size(); ++i) {
    tree_[i] += live_[i - 1];
    if (size_t parent = i + lowbit(i); parent <= ids_.size()) tree_[parent] += tree_[i];
  }
}

size_t RankedIds::position_of_rank(size_t rank) const {
  // Descends the tree: the largest 1-based position whose prefix sum is at
  // most `rank` is the position (0-based) of the live id of that rank.
  const size_t n = ids_.size();
  size_t step = 1;
  while (step * 2 <= n) step *= 2;
  size_t pos = 0;
  size_t remaining = rank;
  for (; step > 0; step /= 2) {
    const size_t next = pos + step;
    if (next <= n && static_cast<size_t>(tree_[next]) <= remaining) {
      pos = next;
      remaining -= static_cast<size_t>(tree_[next]);
    }
  }
  return pos;
}

std::vector<int64_t> RankedIds::range(size_t skip, size_t limit) const {
  std::vector<int64_t> out;
  if (skip >= live_count_ || limit == 0) return out;
  const size_t n = std::min(limit, live_count_ - skip);
  out.reserve(n);
  size_t pos = position_of_rank(skip);
  out.push_back(ids_[pos]);
  for (size_t rank = skip + 1; out.size() < n; ++rank) {
    pos = pos + 1 < ids_.size() && live_[pos + 1] ? pos + 1 : position_of_rank(rank);
    out.push_back(ids_[pos]);
  }
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower_char(c);
  return out;
}

int64_t sat_sub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  }
  return r;
}

int64_t sat_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return r;
}

Digest& Digest::add(uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    h_ ^= (v >> (8 * i)) & 0xFF;
    h_ *= 1099511628211ull;
  }
  return *this;
}

Digest& Digest::add(std::string_view s) {
  add(static_cast<uint64_t>(s.size()));
  for (unsigned char c : s) {
    h_ ^= c;
    h_ *= 1099511628211ull;
  }
  return *this;
}

void SetDigest::add(uint64_t record_digest) {
  sum_ += mix64(record_digest);
  ++count_;
}

}  // namespace almanac::proj
