#include <catch2/catch.hpp>

#include "api/event_json.hpp"

using namespace almanac;
using almanac::api::event_json;

namespace {

Envelope envelope_of(Payload payload) {
  Envelope e;
  e.position = 12;
  e.category = Category::User;
  e.stream_id = 4;
  e.version = 1;
  e.recorded_at = 1'700'000'000'123'456;
  e.actor_id = 4;
  e.correlation_id = "corr-1";
  e.idempotency_key = "key-1";
  e.payload = std::move(payload);
  return e;
}

}  // namespace

TEST_CASE("an event renders with its envelope fields and every payload field") {
  ev::UserRegisteredT r;
  r.uuid = ev::Uuid(0x0190a1b27c3d4e5fULL, 0x8a9b0c1d2e3f4a5bULL);
  r.username = "alice";
  r.email = "alice@example.com";
  r.password_hash = "$argon2id$secret";
  Payload p;
  p.Set(std::move(r));
  auto j = event_json(envelope_of(std::move(p)));
  REQUIRE(j.is_ok());
  CHECK((*j)["position"] == 12);
  CHECK((*j)["stream"] == api::json{{"category", "user"}, {"id", 4}});
  CHECK((*j)["version"] == 1);
  CHECK((*j)["type"] == "UserRegistered");
  CHECK((*j)["recorded_at"] == "2023-11-14T22:13:20.123456Z");
  CHECK((*j)["actor_id"] == 4);
  CHECK((*j)["correlation_id"] == "corr-1");
  CHECK_FALSE(j->contains("idempotency_key"));
  const auto& payload = (*j)["payload"];
  CHECK(payload["uuid"] == "0190a1b2-7c3d-4e5f-8a9b-0c1d2e3f4a5b");
  CHECK(payload["username"] == "alice");
  CHECK(payload["email"] == "alice@example.com");
  CHECK_FALSE(payload.contains("first_name"));  // empty strings are not stored
  CHECK_FALSE(payload.contains("password_hash"));
}

TEST_CASE("enums render by name, defaults are shown, token ids are left out") {
  ev::EventSharedT s;
  s.user_id = 9;
  s.role = ev::Role::Editor;
  Payload shared;
  shared.Set(std::move(s));
  auto j = event_json(envelope_of(std::move(shared)));
  REQUIRE(j.is_ok());
  CHECK((*j)["payload"] == api::json{{"user_id", 9}, {"role", "Editor"}});

  ev::SessionRefreshedT refreshed;
  refreshed.previous_jti = "old";
  refreshed.refresh_jti = "new";
  refreshed.expires_at = 77;
  Payload p;
  p.Set(std::move(refreshed));
  auto k = event_json(envelope_of(std::move(p)));
  REQUIRE(k.is_ok());
  CHECK((*k)["payload"] == api::json{{"expires_at", 77}});

  Payload empty;
  empty.Set(ev::UserDeletedT{});
  auto d = event_json(envelope_of(std::move(empty)));
  REQUIRE(d.is_ok());
  CHECK((*d)["payload"] == api::json::object());
}

TEST_CASE("vectors and stored bytes render the same as the envelope") {
  ev::BallotCastT b;
  b.user_id = 3;
  b.option_ids = {5, 7};
  Payload p;
  p.Set(std::move(b));
  Envelope e = envelope_of(std::move(p));
  auto from_envelope = event_json(e);
  auto from_bytes = event_json(encode(e));
  REQUIRE(from_envelope.is_ok());
  REQUIRE(from_bytes.is_ok());
  CHECK(*from_envelope == *from_bytes);
  CHECK((*from_bytes)["payload"]["option_ids"] == api::json::array({5, 7}));
}

TEST_CASE("damaged bytes are DataLoss") {
  Payload p;
  p.Set(ev::UserDeletedT{});
  std::string bytes = encode(envelope_of(std::move(p)));
  auto r = event_json(std::string_view(bytes).substr(0, bytes.size() / 2));
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Code::kDataLoss);
}

TEST_CASE("a string that is not UTF-8 renders its bytes as Latin-1 characters") {
  // The API refuses such strings; a log written otherwise must still render,
  // or a stream would stop at the event. Found by tests/fuzz/envelope_fuzz.
  ev::UserRegisteredT r;
  r.username = std::string("caf\xe9\\x41", 8);  // an ISO-8859-1 byte, then a backslash and "x41"
  r.email = "ok@example.com";
  Payload p;
  p.Set(std::move(r));
  auto j = event_json(envelope_of(std::move(p)));
  REQUIRE(j.is_ok());
  CHECK((*j)["payload"]["username"] == "caf\xc3\xa9\\x41");
  CHECK((*j)["payload"]["email"] == "ok@example.com");
}
