// The router without a socket: exact paths with the trailing slash, typed
// segments, literal over parameter, 405 with Allow, 307 with the slash
// toggled, and the owner of unknown paths.
#include <catch2/catch.hpp>

#include "api/contract.hpp"
#include "api/dialects.hpp"
#include "api/routes.hpp"

using namespace almanac;
using namespace almanac::api;

namespace {

net::awaitable<Response> nothing(Exchange&) { co_return Response{}; }

void no_routes(Routes&) {}

const PydanticV2Dialect kDialect;
const Contract kFirst{"first", "", kDialect, no_routes};
const Contract kSecond{"second", "", kDialect, no_routes};

Router table() {
  Router r;
  Routes first(r, kFirst), second(r, kSecond);
  first.owns("/api/events");
  second.owns("/api/events/v2/");
  first.get("/api/events", nothing);
  first.post("/api/events", nothing);
  first.get("/api/events/{id:int}", nothing);
  second.get("/api/events/{id:uuid}", nothing);
  first.get("/api/events/batch", nothing);
  first.get("/items/{name}/", nothing);
  first.put("/items/{name}/", nothing);
  r.set_fallback_owner(kSecond);
  return r;
}

}  // namespace

TEST_CASE("paths match exactly, typed segments take only their type, a literal beats a parameter") {
  Router r = table();
  auto m = r.match(http::verb::get, "/api/events/42");
  REQUIRE(m.kind == Router::Match::kFound);
  CHECK(m.route->pattern == "/api/events/{id:int}");
  CHECK(*m.params.get("id") == "42");
  CHECK(m.owner == &kFirst);

  m = r.match(http::verb::get, "/api/events/0b3f3c4e-6a55-4c8e-9d1e-2f4a5b6c7d8e");
  REQUIRE(m.kind == Router::Match::kFound);
  CHECK(m.route->contract == &kSecond);

  m = r.match(http::verb::get, "/api/events/batch");
  REQUIRE(m.kind == Router::Match::kFound);
  CHECK(m.route->pattern == "/api/events/batch");

  // Neither an int nor a uuid: no route takes it.
  CHECK(r.match(http::verb::get, "/api/events/x1").kind == Router::Match::kNotFound);
  CHECK(r.match(http::verb::get, "/api/events/-1").kind == Router::Match::kNotFound);
  // An untyped segment takes anything but nothing.
  CHECK(r.match(http::verb::get, "/items/a b/").kind == Router::Match::kFound);
  CHECK(r.match(http::verb::get, "/items//").kind == Router::Match::kNotFound);
}

TEST_CASE("another method is 405 with every method the path has") {
  Router r = table();
  auto m = r.match(http::verb::delete_, "/api/events");
  CHECK(m.kind == Router::Match::kWrongMethod);
  CHECK(m.allow == "GET, POST");
  m = r.match(http::verb::post, "/items/x/");
  CHECK(m.allow == "GET, PUT");
}

TEST_CASE("the slash toggled finds a route: 307 there") {
  Router r = table();
  auto m = r.match(http::verb::get, "/items/x");
  CHECK(m.kind == Router::Match::kRedirect);
  CHECK(m.location == "/items/x/");
  m = r.match(http::verb::get, "/api/events/");
  CHECK(m.kind == Router::Match::kRedirect);
  CHECK(m.location == "/api/events");
}

TEST_CASE("unknown paths belong to the longest owning prefix, else the fallback") {
  Router r = table();
  CHECK(r.match(http::verb::get, "/api/events/1/nope").owner == &kFirst);
  CHECK(r.match(http::verb::get, "/api/events/v2/nope").owner == &kSecond);
  CHECK(r.match(http::verb::get, "/elsewhere").owner == &kSecond);
}

TEST_CASE("a route needs a signed-in user and the general limit unless it says otherwise") {
  Router r;
  Routes routes(r, kFirst);
  Route& plain = routes.get("/a", nothing);
  CHECK(plain.caller == Caller::kUser);
  CHECK(plain.limit == Limit::kGeneral);
  CHECK_FALSE(plain.takes_form);
  Route& open = routes.post("/b", nothing).anyone().auth_limit().form();
  CHECK(open.caller == Caller::kAnyone);
  CHECK(open.limit == Limit::kAuth);
  CHECK(open.takes_form);
  CHECK(open.contract == &kFirst);
  Route& socket = routes.websocket("/ws", nullptr).close_on_refusal(1008);
  CHECK(socket.doc.success_status == 101);
  CHECK(socket.ws_refusal_close == 1008);
  CHECK(static_cast<bool>(socket.handler));  // without the upgrade: 426
}
