#include "harness.hpp"

using namespace almanac;
using namespace almanac::cmd;
using namespace almanac::cmd::testing;

TEST_CASE("StartSession opens a session and records the login") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t exp = h.clock.now_us() + 7 * 24 * kHour;
  Decision d = h.ok(StartSession{alice, "jti-1", exp}, alice);
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[0].stream == StreamId{Category::Session, 1});
  CHECK(d.events[0].expected_version == 0);
  const auto* s = d.events[0].payload.AsSessionStarted();
  REQUIRE(s);
  CHECK(s->user_id == alice);
  CHECK(s->refresh_jti == "jti-1");
  CHECK(s->expires_at == exp);
  CHECK(d.events[1].stream == StreamId{Category::User, alice});
  CHECK(d.events[1].expected_version == 1);
  CHECK(d.events[1].payload.AsUserLoggedIn()->session_id == 1);

  h.ok(SetUserActive{alice, false}, 0);
  Decision off = h.run(StartSession{alice, "jti-2", exp}, alice);
  CHECK(off.status.code() == Code::kUnauthenticated);
  CHECK(off.status.message() == "Account disabled");
  CHECK(h.run(StartSession{42, "jti-3", exp}, 0).status.code() == Code::kNotFound);
}

TEST_CASE("RefreshSession rotates, and a reused token revokes the session") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t exp = h.clock.now_us() + 24 * kHour;
  h.ok(StartSession{alice, "a", exp}, alice);

  Decision r = h.ok(RefreshSession{1, "a", "b", exp + kHour}, alice);
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].expected_version == 1);
  const auto* ref = r.events[0].payload.AsSessionRefreshed();
  CHECK(ref->previous_jti == "a");
  CHECK(ref->refresh_jti == "b");
  CHECK(ref->expires_at == exp + kHour);
  CHECK(h.state.session(1)->refresh_jti == "b");

  Decision unknown = h.run(RefreshSession{1, "zzz", "c", exp}, alice);
  CHECK(unknown.status.code() == Code::kUnauthenticated);
  CHECK(unknown.events.empty());

  Decision reuse = h.run(RefreshSession{1, "a", "c", exp}, alice);
  CHECK(reuse.status.code() == Code::kUnauthenticated);
  CHECK(reuse.status.message() == "Refresh token reuse detected; session revoked");
  REQUIRE(reuse.events.size() == 2);
  CHECK(reuse.events[0].payload.AsRefreshReuseDetected()->jti == "a");
  CHECK(reuse.events[0].expected_version == 2);
  CHECK(reuse.events[1].payload.AsSessionEnded()->reason == ev::SessionEndReason::RefreshReuse);
  CHECK(reuse.events[1].expected_version == 3);
  CHECK(h.state.session(1)->ended);

  // The current token of a revoked session is dead too.
  Decision after = h.run(RefreshSession{1, "b", "d", exp}, alice);
  CHECK(after.status.code() == Code::kUnauthenticated);
  CHECK(after.events.empty());
  CHECK(h.run(RefreshSession{9, "b", "d", exp}, alice).status.code() == Code::kUnauthenticated);
}

TEST_CASE("RefreshSession refuses an expired session") {
  Harness h;
  int64_t alice = h.user("alice");
  h.ok(StartSession{alice, "a", h.clock.now_us() + kHour}, alice);
  h.clock.advance(kHour);
  Decision d = h.run(RefreshSession{1, "a", "b", h.clock.now_us() + kHour}, alice);
  CHECK(d.status.code() == Code::kUnauthenticated);
  CHECK(d.events.empty());
}

TEST_CASE("EndSession: its user, a superuser or the system") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t bob = h.user("bob");
  int64_t exp = h.clock.now_us() + kHour;
  h.ok(StartSession{alice, "a", exp}, alice);
  CHECK(h.run(EndSession{1}, bob).status.code() == Code::kForbidden);
  Decision d = h.ok(EndSession{1}, alice);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].payload.AsSessionEnded()->reason == ev::SessionEndReason::Logout);
  CHECK(h.run(EndSession{1}, alice).status.code() == Code::kUnauthenticated);

  h.ok(StartSession{alice, "b", exp}, alice);
  h.ok(SetSuperuser{bob, true}, 0);
  CHECK(h.ok(EndSession{2, ev::SessionEndReason::Revoked}, bob)
            .events[0].payload.AsSessionEnded()->reason == ev::SessionEndReason::Revoked);
  h.ok(StartSession{alice, "c", exp}, alice);
  CHECK(h.run(EndSession{3}, 0).status.is_ok());
}

TEST_CASE("password reset: single use, expiring, revokes sessions") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t exp = h.clock.now_us() + kHour;
  h.ok(StartSession{alice, "a", exp + 10 * kHour}, alice);
  h.ok(StartSession{alice, "b", exp + 10 * kHour}, alice);

  CHECK(h.run(RequestPasswordReset{99, "hash", exp}, 0).status.code() == Code::kNotFound);
  Decision req = h.ok(RequestPasswordReset{alice, "hash-1", exp}, 0);
  REQUIRE(req.events.size() == 1);
  CHECK(req.events[0].stream == StreamId{Category::PasswordReset, 1});
  const auto* rq = req.events[0].payload.AsPasswordResetRequested();
  CHECK(rq->user_id == alice);
  CHECK(rq->token_hash == "hash-1");
  CHECK(rq->expires_at == exp);

  Decision wrong = h.run(CompletePasswordReset{"nope", "$new"}, 0);
  CHECK(wrong.status.code() == Code::kInvalidArgument);
  CHECK(wrong.status.message() == "Invalid or expired password reset token");

  Decision done = h.ok(CompletePasswordReset{"hash-1", "$new"}, 0);
  REQUIRE(done.events.size() == 4);
  CHECK(done.events[0].stream == StreamId{Category::PasswordReset, 1});
  CHECK(done.events[0].payload.type == ev::Payload::PasswordResetCompleted);
  CHECK(done.events[1].stream == StreamId{Category::User, alice});
  CHECK(done.events[1].payload.AsPasswordChanged()->password_hash == "$new");
  CHECK(done.events[2].stream == StreamId{Category::Session, 1});
  CHECK(done.events[2].payload.AsSessionEnded()->reason == ev::SessionEndReason::Revoked);
  CHECK(done.events[3].stream == StreamId{Category::Session, 2});

  Decision again = h.run(CompletePasswordReset{"hash-1", "$newer"}, 0);
  CHECK(again.status.code() == Code::kInvalidArgument);
  CHECK(again.status.message() == "Invalid or expired password reset token");

  h.ok(RequestPasswordReset{alice, "hash-2", exp}, 0);
  h.clock.set(exp);
  Decision late = h.run(CompletePasswordReset{"hash-2", "$x"}, 0);
  CHECK(late.status.code() == Code::kInvalidArgument);
  CHECK(late.events.empty());
}
