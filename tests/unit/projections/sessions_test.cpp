#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace almanac;
using namespace almanac::test;
using proj::ReadModels;

namespace {
ev::SessionStartedT started(int64_t user, std::string jti, int64_t expires) {
  ev::SessionStartedT s;
  s.uuid = uuid_of(2000 + static_cast<uint64_t>(user));
  s.user_id = user;
  s.refresh_jti = std::move(jti);
  s.expires_at = expires;
  return s;
}
}  // namespace

TEST_CASE("sessions rotate their refresh token and end with a reason") {
  ReadModels m;
  Log log(m);
  register_users(log, 1);
  log.at(kT0).put(Category::Session, 1, started(1, "jti-1", kT0 + 7 * kDay), 1);

  auto s = m.session(1);
  REQUIRE(s);
  CHECK(s->user_id == 1);
  CHECK(s->refresh_jti == "jti-1");
  CHECK(s->expires_at == kT0 + 7 * kDay);
  CHECK(s->started_at == kT0);
  CHECK(m.session_active(1));
  CHECK_FALSE(m.session_active(2));

  ev::SessionRefreshedT r;
  r.previous_jti = "jti-1";
  r.refresh_jti = "jti-2";
  r.expires_at = kT0 + 8 * kDay;
  log.at(kT0 + kDay).put(Category::Session, 1, r, 1);
  s = m.session(1);
  CHECK(s->refresh_jti == "jti-2");
  CHECK(s->expires_at == kT0 + 8 * kDay);
  CHECK(s->refreshed_at == kT0 + kDay);
  CHECK(m.session_active(1));

  ev::RefreshReuseDetectedT reuse;
  reuse.jti = "jti-1";
  log.put(Category::Session, 1, reuse);
  ev::SessionEndedT end;
  end.reason = ev::SessionEndReason::RefreshReuse;
  const int64_t ended_at = log.now();
  log.put(Category::Session, 1, end);
  s = m.session(1);
  CHECK(s->reuse_detected);
  CHECK(s->ended);
  CHECK(s->end_reason == ev::SessionEndReason::RefreshReuse);
  CHECK(s->ended_at == ended_at);
  CHECK_FALSE(m.session_active(1));

  // A second end does not rewrite the first reason.
  end.reason = ev::SessionEndReason::Logout;
  log.put(Category::Session, 1, end);
  CHECK(m.session(1)->end_reason == ev::SessionEndReason::RefreshReuse);
}

TEST_CASE("password resets are found by token hash and become used") {
  ReadModels m;
  Log log(m);
  register_users(log, 2);
  ev::PasswordResetRequestedT req;
  req.user_id = 2;
  req.token_hash = "ab12cd";
  req.expires_at = kT0 + kHour;
  log.at(kT0).put(Category::PasswordReset, 1, req);

  auto r = m.password_reset("ab12cd");
  REQUIRE(r);
  CHECK(r->user_id == 2);
  CHECK(r->expires_at == kT0 + kHour);
  CHECK(r->requested_at == kT0);
  CHECK_FALSE(r->used);
  CHECK_FALSE(m.password_reset("AB12CD"));

  log.at(kT0 + 60 * kSecond).put(Category::PasswordReset, 1, ev::PasswordResetCompletedT{});
  r = m.password_reset("ab12cd");
  CHECK(r->used);
  CHECK(r->used_at == kT0 + 60 * kSecond);
}
