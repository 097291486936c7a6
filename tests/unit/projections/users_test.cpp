#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace almanac;
using namespace almanac::test;
using proj::ReadModels;

TEST_CASE("users are found by id, uuid, username and case-insensitive email") {
  ReadModels m;
  Log log(m);
  auto alice = registered(1, "alice", "Alice@Example.com");
  alice.first_name = "Alice";
  alice.last_name = "Liddell";
  alice.full_name = "Alice Liddell";
  log.at(kT0).put(Category::User, 1, alice);
  log.put(Category::User, 2, registered(2, "bob", "bob@example.com"));

  auto u = m.user(1);
  REQUIRE(u);
  CHECK(u->username == "alice");
  CHECK(u->email == "Alice@Example.com");
  CHECK(u->full_name == "Alice Liddell");
  CHECK(u->first_name == "Alice");
  CHECK(u->password_hash == "$argon2id$v=19$hash-1");
  CHECK(u->is_active);
  CHECK_FALSE(u->is_superuser);
  CHECK(u->created_at == kT0);
  CHECK(u->updated_at == kT0);
  CHECK_FALSE(u->last_login);

  CHECK(m.user_by_uuid(uuid_of(1002))->id == 2);
  CHECK(m.user_by_username("bob")->id == 2);
  CHECK_FALSE(m.user_by_username("BOB"));
  CHECK(m.user_by_email("alice@EXAMPLE.COM")->id == 1);
  CHECK(m.user_by_login("alice@example.com")->id == 1);
  CHECK(m.user_by_login("bob")->id == 2);
  CHECK_FALSE(m.user_by_login("carol"));
  CHECK_FALSE(m.user(3));
}

TEST_CASE("profile changes, password, promotion, login and deactivation update the user") {
  ReadModels m;
  Log log(m);
  log.at(kT0).put(Category::User, 1, registered(1, "alice", "alice@example.com"));

  ev::UserProfileUpdatedT p;
  p.changed = user_field::kUsername | user_field::kEmail | user_field::kBio;
  p.username = "alicia";
  p.email = "Alicia@Example.org";
  p.bio = "hello";
  p.full_name = "ignored: bit not set";
  log.at(kT0 + kHour).put(Category::User, 1, p, 1);

  auto u = m.user(1);
  REQUIRE(u);
  CHECK(u->username == "alicia");
  CHECK(u->bio == "hello");
  CHECK(u->full_name.empty());
  CHECK(u->updated_at == kT0 + kHour);
  CHECK_FALSE(m.user_by_username("alice"));
  CHECK_FALSE(m.user_by_email("alice@example.com"));
  CHECK(m.user_by_email("alicia@example.org")->id == 1);

  ev::PasswordChangedT pw;
  pw.password_hash = "$argon2id$new";
  log.put(Category::User, 1, pw, 1);
  CHECK(m.user(1)->password_hash == "$argon2id$new");

  log.put(Category::User, 1, ev::UserPromotedT{}, 0);
  CHECK(m.user(1)->is_superuser);

  ev::UserLoggedInT in;
  in.session_id = 4;
  const int64_t login_at = log.now();
  const int64_t before = m.user(1)->updated_at;
  log.put(Category::User, 1, in, 1);
  CHECK(m.user(1)->last_login == login_at);
  CHECK(m.user(1)->updated_at == before);

  log.put(Category::User, 1, ev::UserDeactivatedT{});
  CHECK_FALSE(m.user(1)->is_active);
  log.put(Category::User, 1, ev::UserReactivatedT{});
  CHECK(m.user(1)->is_active);
}

TEST_CASE("a deleted user disappears from lookups and lists and frees its names") {
  ReadModels m;
  Log log(m);
  register_users(log, 3);
  log.put(Category::User, 2, ev::UserDeletedT{});

  CHECK_FALSE(m.user(2));
  auto gone = m.user(2, /*include_deleted=*/true);
  REQUIRE(gone);
  CHECK(gone->deleted);
  CHECK_FALSE(gone->is_active);
  CHECK_FALSE(m.user_by_username("u2"));
  CHECK_FALSE(m.user_by_email("u2@example.com"));
  CHECK_FALSE(m.user_by_uuid(uuid_of(1002)));

  auto page = m.users(0, 100);
  CHECK(page.total == 2);
  REQUIRE(page.items.size() == 2);
  CHECK(page.items[0].id == 1);
  CHECK(page.items[1].id == 3);

  // The name can be registered again by a new account.
  log.put(Category::User, 4, registered(4, "u2", "U2@example.com"));
  CHECK(m.user_by_username("u2")->id == 4);
  CHECK(m.user_by_email("u2@example.com")->id == 4);
}

TEST_CASE("the user list pages in id order with skip and limit") {
  ReadModels m;
  Log log(m);
  register_users(log, 7);
  auto page = m.users(2, 3);
  CHECK(page.total == 7);
  REQUIRE(page.items.size() == 3);
  CHECK(page.items[0].username == "u3");
  CHECK(page.items[2].username == "u5");
  CHECK(m.users(6, 10).items.size() == 1);
  CHECK(m.users(7, 10).items.empty());
  CHECK(m.users(0, 0).items.empty());
}

TEST_CASE("the user list skips deleted accounts at every offset") {
  ReadModels m;
  Log log(m);
  register_users(log, 2000);
  for (int64_t id = 2; id <= 2000; id += 2) log.add(Category::User, id, ev::UserDeletedT{});
  log.commit();
  auto page = m.users(900, 100);   // live ids are the odd ones: rank 900 is 1801
  CHECK(page.total == 1000);
  REQUIRE(page.items.size() == 100);
  CHECK(page.items.front().id == 1801);
  CHECK(page.items.back().id == 1999);
  for (size_t i = 1; i < page.items.size(); ++i) CHECK(page.items[i].id == page.items[i - 1].id + 2);
  CHECK(m.users(999, 100).items.size() == 1);
  // Replay reaches the same list.
  ReadModels again;
  Log replay(again);
  register_users(replay, 2000);
  for (int64_t id = 2; id <= 2000; id += 2) replay.add(Category::User, id, ev::UserDeletedT{});
  replay.commit();
  CHECK(again.users(900, 100).items.front().id == 1801);
  CHECK(again.checksum() == m.checksum());
}
