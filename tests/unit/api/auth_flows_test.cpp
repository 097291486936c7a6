// The pure parts of the shared authentication flows: the password rule.
#include <catch2/catch.hpp>

#include "api/auth_flows.hpp"

using namespace almanac;
using namespace almanac::api;

TEST_CASE("the password rule: 8 to 128 characters") {
  CHECK_FALSE(auth::check_password(""));
  CHECK_FALSE(auth::check_password("1234567"));
  auto short_one = auth::check_password("short");
  CHECK(short_one.code() == Code::kInvalidArgument);
  CHECK(short_one.field() == "password");
  CHECK(short_one.message() == "Password must be at least 8 characters");
  CHECK(auth::check_password("12345678"));
  CHECK(auth::check_password("securepass"));
  CHECK(auth::check_password(std::string(128, 'x')));
  auto long_one = auth::check_password(std::string(129, 'x'));
  CHECK(long_one.message() == "Password must be at most 128 characters");
  // Characters, not bytes: eight two-byte letters are enough, seven are not.
  CHECK(auth::check_password("éééééééé"));
  CHECK_FALSE(auth::check_password("ééééééé"));
}

TEST_CASE("the password rule as a model rule: one problem at body.password") {
  std::vector<Problem> problems;
  auth::password_rule("securepass", {"body"}, problems);
  CHECK(problems.empty());
  auth::password_rule("short", {"body"}, problems);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].kind == Problem::kInvalid);
  CHECK(problems[0].loc == Loc{"body", "password"});
  CHECK(problems[0].message == "Password must be at least 8 characters");
}
