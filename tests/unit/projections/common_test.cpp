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
