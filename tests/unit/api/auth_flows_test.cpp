// The pure parts of the shared authentication flows: the password rule, UUID
// rendering, body field reading and route schemas.
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

TEST_CASE("UUIDs render as 8-4-4-4-12 lower-case hex") {
  ev::Uuid u(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
  CHECK(auth::format_uuid(u) == "01234567-89ab-cdef-fedc-ba9876543210");
  CHECK(auth::format_uuid(ev::Uuid(0, 1)) == "00000000-0000-0000-0000-000000000001");
}

TEST_CASE("body fields are read as strings, missing or of the wrong type") {
  json body = {{"name", "ada"}, {"age", 36}, {"none", nullptr}};
  std::string out;
  CHECK(auth::read_string(body, "name", out) == auth::FieldRead::kOk);
  CHECK(out == "ada");
  CHECK(auth::read_string(body, "age", out) == auth::FieldRead::kWrongType);
  CHECK(auth::read_string(body, "none", out) == auth::FieldRead::kMissing);
  CHECK(auth::read_string(body, "absent", out) == auth::FieldRead::kMissing);
  CHECK(auth::read_string(json::array({1}), "name", out) == auth::FieldRead::kMissing);
  CHECK(out == "ada");
}

TEST_CASE("object schemas name types, formats and required members") {
  json s = auth::object_schema({{"id", "integer"}, {"email", "email"}}, {"email"});
  CHECK(s["type"] == "object");
  CHECK(s["properties"]["id"] == json({{"type", "integer"}}));
  CHECK(s["properties"]["email"] == json({{"type", "string"}, {"format", "email"}}));
  CHECK(s["required"] == json::array({"email"}));
  CHECK_FALSE(auth::object_schema({{"a", "string"}}).contains("required"));
}
