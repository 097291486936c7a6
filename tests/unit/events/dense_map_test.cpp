#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "events/dense_map.hpp"

using namespace almanac;

namespace {

using Map = DenseMap<std::string>;
using Walk = std::vector<std::pair<int64_t, std::string>>;

Walk walk(const Map& m) {
  Walk out;
  m.for_each([&](int64_t id, const std::string& v) { out.emplace_back(id, v); });
  return out;
}

std::vector<int64_t> ids_of(const Walk& w) {
  std::vector<int64_t> out;
  for (const auto& [id, v] : w) out.push_back(id);
  return out;
}

}  // namespace

TEST_CASE("DenseMap keeps dense ids in slots and odd ids in the fallback, in id order") {
  Map m;
  m.assign(1, "a");
  m.assign(3, "c");
  m.assign(-7, "neg");
  m.assign(0, "zero");
  const int64_t huge = 1'000'000'000'000'000;  // a corrupt id: must not allocate slots for it
  m.assign(huge, "huge");
  CHECK(m.size() == 5);
  CHECK(m.reserved_slots() == static_cast<size_t>(Map::kChunk));  // the chunk of 1 and 3 only
  REQUIRE(m.find(3) != nullptr);
  CHECK(*m.find(3) == "c");
  CHECK(m.find(2) == nullptr);
  CHECK(*m.find(huge) == "huge");
  CHECK(*m.find(-7) == "neg");
  CHECK(m.contains(0));
  CHECK_FALSE(m.contains(2));
  CHECK(walk(m) == Walk{{-7, "neg"}, {0, "zero"}, {1, "a"}, {3, "c"}, {huge, "huge"}});

  // A callback returning false stops the walk after that record.
  Walk first_two;
  m.for_each([&](int64_t id, const std::string& v) {
    first_two.emplace_back(id, v);
    return first_two.size() < 2;
  });
  CHECK(first_two == Walk{{-7, "neg"}, {0, "zero"}});

  CHECK(m.erase(3));
  CHECK_FALSE(m.erase(3));
  CHECK(m.find(3) == nullptr);
  CHECK(m.size() == 4);
  CHECK(m.erase(huge));
  CHECK_FALSE(m.erase(huge));
  CHECK(m.find(huge) == nullptr);
  CHECK(m.size() == 3);
}

TEST_CASE("DenseMap finds a fallback record after the chunks grow over its id") {
  Map m;
  m.assign(1, "first");
  const int64_t far = Map::kMaxGap + 5000;  // beyond the gap: fallback
  m.assign(far, "far");
  m.assign(far - 10, "near far");  // also beyond the gap from the slots
  CHECK(m.reserved_slots() == static_cast<size_t>(Map::kChunk));
  // Dense ids widen the guarded range until far + 1 gets a slot, in the chunk
  // that also covers far and far - 10.
  for (int64_t id = 2; id <= 3000; ++id) m.assign(id, "x");
  m.assign(far + 1, "after");
  CHECK(m.reserved_slots() == static_cast<size_t>(4 * Map::kChunk));
  REQUIRE(m.find(far) != nullptr);
  CHECK(*m.find(far) == "far");
  CHECK(*m.find(far - 10) == "near far");
  CHECK(*m.find(far + 1) == "after");
  auto all = walk(m);
  CHECK(std::is_sorted(all.begin(), all.end()));
  CHECK(all.size() == m.size());
  CHECK(all.back() == std::pair<int64_t, std::string>{far + 1, "after"});
  CHECK(m.erase(far));
  CHECK(m.find(far) == nullptr);
  // Created again, it takes its slot in the chunk that now exists.
  m.assign(far, "again");
  CHECK(*m.find(far) == "again");
  CHECK(m.reserved_slots() == static_cast<size_t>(4 * Map::kChunk));
  all = walk(m);
  CHECK(std::is_sorted(all.begin(), all.end()));
}

TEST_CASE("DenseMap keeps dense, hostile and later-covered ids apart and records in place") {
  Map t;
  CHECK(t.find(1) == nullptr);
  t.assign(1, "one");
  std::string* one = t.find(1);
  // Ids below 1 and far beyond the used range take the fallback map.
  const int64_t far = 3 * Map::kMaxGap;
  t.assign(0, "zero");
  t.assign(-5, "negative");
  t.assign(far, "far");
  // `near` is just beyond the guarded range now; once more slots are used it
  // is inside it, and must still be found where it was first stored.
  const int64_t near = Map::kMaxGap + 10;
  t.assign(near, "near");
  for (int64_t id = 2; id < 2 * Map::kChunk; ++id) t.get_or_create(id) = "x";
  CHECK(*t.find(near) == "near");
  CHECK(t.get_or_create(near) == "near");
  CHECK(t.find(near + 1) == nullptr);
  t.assign(near + 1, "dense");
  CHECK(*t.find(near + 1) == "dense");
  REQUIRE(t.find(far) != nullptr);
  CHECK(*t.find(far) == "far");
  CHECK(t.get_or_create(far) == "far");
  CHECK(*t.find(0) == "zero");
  CHECK(*t.find(-5) == "negative");
  CHECK(t.find(-6) == nullptr);
  // Records never move.
  CHECK(&t.get_or_create(1) == one);
  CHECK(*one == "one");

  // The walk merges the fallback into the slots: `near` (fallback) comes
  // right before near + 1 (a slot).
  std::vector<int64_t> expected{-5, 0};
  for (int64_t id = 1; id < 2 * Map::kChunk; ++id) expected.push_back(id);
  expected.insert(expected.end(), {near, near + 1, far});
  const Walk all = walk(t);
  CHECK(ids_of(all) == expected);
  CHECK(all.size() == t.size());
  CHECK(t.size() == static_cast<size_t>(2 * Map::kChunk - 1 + 5));

  Map copy = t;
  CHECK(*copy.find(far) == "far");
  CHECK(copy.size() == t.size());
  CHECK(&copy.get_or_create(1) != one);
  CHECK(walk(copy) == all);
  copy.assign(1, "changed");
  CHECK(*one == "one");
}

TEST_CASE("DenseMap frees a chunk with its last record, and churn past the gap stays in slots") {
  Map m;
  m.assign(1, "kept");   // a long-lived record keeps the first chunk
  // Records created and erased again, ids ever growing, few alive at once:
  // ids run far past 2 * (records alive) + kMaxGap and still get slots,
  // and the chunks they leave behind are freed.
  const int64_t last = Map::kMaxGap + 5 * Map::kChunk;
  for (int64_t id = 2; id <= last; ++id) {
    m.assign(id, "x");
    if (id > 2) REQUIRE(m.erase(id - 1));
  }
  CHECK(m.size() == 2);
  CHECK(*m.find(1) == "kept");
  CHECK(*m.find(last) == "x");
  CHECK(m.find(last - 1) == nullptr);
  // The first chunk (id 1) and the last one (id `last`) only.
  CHECK(m.reserved_slots() == static_cast<size_t>(2 * Map::kChunk));
  CHECK(walk(m) == Walk{{1, "kept"}, {last, "x"}});
  // An id in a freed chunk takes a slot again.
  m.assign(Map::kChunk + 3, "again");
  CHECK(*m.find(Map::kChunk + 3) == "again");
  CHECK(m.reserved_slots() == static_cast<size_t>(3 * Map::kChunk));
  CHECK(m.erase(Map::kChunk + 3));
  CHECK(m.reserved_slots() == static_cast<size_t>(2 * Map::kChunk));
  // A stray id far beyond the highest one still goes to the fallback.
  m.assign(last + 10 * Map::kMaxGap, "stray");
  CHECK(m.reserved_slots() == static_cast<size_t>(2 * Map::kChunk));
  CHECK(*m.find(last + 10 * Map::kMaxGap) == "stray");
  Map copy = m;
  CHECK(walk(copy) == walk(m));
}
