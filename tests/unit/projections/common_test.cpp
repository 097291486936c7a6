#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "fixtures.hpp"
#include "projections/common.hpp"

using namespace almanac;
using namespace almanac::test;
using proj::IdIndex;
using proj::IdSet;

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

TEST_CASE("RankedIds finds the live id of any rank, with ids appended, revived and removed") {
  proj::RankedIds r;
  std::vector<int64_t> live;   // the reference: live ids, ascending
  for (int64_t id = 1; id <= 1000; ++id) {
    r.insert(id);
    live.push_back(id);
  }
  // Remove every third id and a run of 100, so ranks skip over gaps.
  for (int64_t id = 3; id <= 1000; id += 3) CHECK(r.erase(id));
  for (int64_t id = 500; id < 600; ++id) r.erase(id);
  std::erase_if(live, [](int64_t id) { return id % 3 == 0 || (id >= 500 && id < 600); });
  CHECK_FALSE(r.erase(3));      // already not live
  CHECK_FALSE(r.erase(5000));   // never held
  CHECK_FALSE(r.contains(3));
  CHECK(r.contains(4));
  REQUIRE(r.size() == live.size());
  for (size_t skip : {size_t{0}, size_t{1}, size_t{299}, size_t{330}, live.size() - 5}) {
    const std::vector<int64_t> want(live.begin() + static_cast<std::ptrdiff_t>(skip),
                                    live.begin() + static_cast<std::ptrdiff_t>(std::min(live.size(), skip + 50)));
    CHECK(r.range(skip, 50) == want);
  }
  CHECK(r.range(live.size(), 10).empty());
  CHECK(r.range(0, 0).empty());

  // An id made live again keeps its place.
  r.insert(501);
  CHECK(r.contains(501));
  CHECK(r.size() == live.size() + 1);
  live.insert(std::lower_bound(live.begin(), live.end(), 501), 501);
  CHECK(r.range(0, live.size()) == live);
}

TEST_CASE("RankedIds takes an id below the largest, as a log decide() did not write may hold") {
  proj::RankedIds r;
  for (int64_t id : std::vector<int64_t>{10, 20, 4'000'000'000'000'000, 30, 5, 20}) r.insert(id);
  CHECK(r.size() == 5);
  CHECK(r.range(0, 10) == std::vector<int64_t>{5, 10, 20, 30, 4'000'000'000'000'000});
  CHECK(r.erase(20));
  CHECK(r.range(1, 2) == std::vector<int64_t>{10, 30});
  r.insert(40);   // below the largest again: in place
  CHECK(r.range(3, 10) == std::vector<int64_t>{40, 4'000'000'000'000'000});
  CHECK(r.erase(4'000'000'000'000'000));
  r.insert(50);   // above every live id, but below the largest held: in place too
  CHECK(r.range(2, 10) == std::vector<int64_t>{30, 40, 50});
  CHECK(r.range(0, 10) == std::vector<int64_t>{5, 10, 30, 40, 50});
}
