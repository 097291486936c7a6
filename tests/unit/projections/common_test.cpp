#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "fixtures.hpp"
#include "projections/common.hpp"

using namespace almanac;
using namespace almanac::test;
using proj::DenseMap;
using proj::IdIndex;
using proj::IdSet;

namespace {
std::vector<std::pair<int64_t, std::string>> walk(const DenseMap<std::string>& m) {
  std::vector<std::pair<int64_t, std::string>> out;
  m.for_each([&](int64_t id, const std::string& v) { out.emplace_back(id, v); });
  return out;
}
}  // namespace

TEST_CASE("DenseMap keeps dense ids in slots and odd ids in the fallback, in id order") {
  DenseMap<std::string> m;
  m.assign(1, "a");
  m.assign(3, "c");
  m.assign(-7, "neg");
  m.assign(0, "zero");
  const int64_t huge = 1'000'000'000'000'000;  // a corrupt id: must not allocate slots for it
  m.assign(huge, "huge");
  CHECK(m.size() == 5);
  REQUIRE(m.find(3) != nullptr);
  CHECK(*m.find(3) == "c");
  CHECK(m.find(2) == nullptr);
  CHECK(*m.find(huge) == "huge");
  CHECK(*m.find(-7) == "neg");
  CHECK(walk(m) == std::vector<std::pair<int64_t, std::string>>{
                       {-7, "neg"}, {0, "zero"}, {1, "a"}, {3, "c"}, {huge, "huge"}});
  CHECK(m.erase(3));
  CHECK_FALSE(m.erase(3));
  CHECK(m.find(3) == nullptr);
  CHECK(m.size() == 4);
}

TEST_CASE("DenseMap moves a fallback record into its slot when the slots grow over it") {
  DenseMap<std::string> m;
  m.assign(1, "first");
  const int64_t far = DenseMap<std::string>::kMaxGap + 5000;  // beyond the gap: fallback
  m.assign(far, "far");
  m.assign(far - 10, "near far");  // also beyond the gap from the slots
  // Growing step by step brings the slots over both ids.
  for (int64_t id = 2; id <= far + 1; id += 100'000) m.assign(id, "x");
  m.assign(far + 1, "after");
  REQUIRE(m.find(far) != nullptr);
  CHECK(*m.find(far) == "far");
  CHECK(*m.find(far - 10) == "near far");
  CHECK(*m.find(far + 1) == "after");
  auto all = walk(m);
  CHECK(std::is_sorted(all.begin(), all.end()));
  CHECK(all.size() == m.size());
  CHECK(m.erase(far));
  CHECK(m.find(far) == nullptr);
}

TEST_CASE("IdSet stays sorted and IdIndex drops empty sets") {
  IdSet s;
  for (int64_t id : {5, 1, 9, 3, 9, 7}) s.insert(id);
  CHECK(s.ids() == std::vector<int64_t>{1, 3, 5, 7, 9});
  CHECK(s.erase(5));
  CHECK_FALSE(s.erase(5));
  CHECK(s.contains(7));
  CHECK_FALSE(s.contains(5));

  IdIndex index;
  index.insert(2, 10);
  index.insert(2, 4);
  REQUIRE(index.find(2) != nullptr);
  CHECK(index.find(2)->ids() == std::vector<int64_t>{4, 10});
  index.erase(2, 4);
  index.erase(2, 10);
  CHECK(index.find(2) == nullptr);
}

TEST_CASE("a corrupt huge user id is stored and found without growing the dense slots") {
  proj::ReadModels m;
  Log log(m);
  const int64_t huge = 4'000'000'000'000'000;
  log.add(Category::User, 1, registered(1, "ann", "ann@x.org"))
      .add(Category::User, huge, registered(2, "bob", "bob@x.org"))
      .add(Category::User, 2, registered(3, "cid", "cid@x.org"))
      .commit();
  auto bob = m.user_by_username("bob");
  REQUIRE(bob.has_value());
  CHECK(bob->id == huge);
  auto page = m.users(0, 10);
  REQUIRE(page.items.size() == 3);
  CHECK(page.items[0].id == 1);
  CHECK(page.items[1].id == 2);
  CHECK(page.items[2].id == huge);
}
