#include "harness.hpp"

using namespace almanac;
using namespace almanac::cmd;
using namespace almanac::cmd::testing;

TEST_CASE("RegisterUser records the user with a new dense id and a uuid") {
  Harness h;
  RegisterUser r{"alice", "Alice@Example.com", "$argon2id$x", "Alice", "Liddell", "Alice L"};
  Decision d = h.ok(r, 0);
  REQUIRE(d.events.size() == 1);
  const PendingEvent& p = d.events[0];
  CHECK(p.stream == StreamId{Category::User, 1});
  CHECK(p.expected_version == 0);
  const auto* e = p.payload.AsUserRegistered();
  REQUIRE(e);
  CHECK(e->username == "alice");
  CHECK(e->email == "Alice@Example.com");
  CHECK(e->first_name == "Alice");
  CHECK(e->last_name == "Liddell");
  CHECK(e->full_name == "Alice L");
  CHECK(e->password_hash == "$argon2id$x");
  CHECK(e->uuid.lo() == (0x8000000000000000ULL | 1));
  CHECK(h.user("bob") == 2);
  CHECK(h.state.user_by_username("alice") == 1);
  CHECK(h.state.user_by_email("alice@EXAMPLE.com") == 1);
}

TEST_CASE("RegisterUser refuses duplicates and malformed input") {
  Harness h;
  h.user("alice");
  SECTION("username taken (case-sensitive)") {
    Decision d = h.run(RegisterUser{"alice", "other@example.com", "h"}, 0);
    CHECK(d.status.code() == Code::kConflict);
    CHECK(d.status.message() == "Username already exists");
    CHECK(d.status.field() == "username");
    CHECK(d.events.empty());
    CHECK(h.run(RegisterUser{"Alice", "other@example.com", "h"}, 0).status.is_ok());
  }
  SECTION("email taken (case-insensitive)") {
    Decision d = h.run(RegisterUser{"alice2", "ALICE@example.COM", "h"}, 0);
    CHECK(d.status.code() == Code::kConflict);
    CHECK(d.status.message() == "Email already exists");
    CHECK(d.status.field() == "email");
  }
  SECTION("bad username") {
    for (std::string bad : {std::string(), std::string("has space"), std::string(151, 'a'),
                            std::string("semi;colon")}) {
      Decision d = h.run(RegisterUser{bad, "x@example.com", "h"}, 0);
      CHECK(d.status.code() == Code::kInvalidArgument);
      CHECK(d.status.field() == "username");
    }
    CHECK(h.run(RegisterUser{std::string(150, 'a'), "x@example.com", "h"}, 0).status.is_ok());
    CHECK(h.run(RegisterUser{"a.b@c+d-e_f", "y@example.com", "h"}, 0).status.is_ok());
  }
  SECTION("bad email") {
    for (const char* bad : {"", "plain", "@example.com", "a@b", "a@@b.com", "a b@c.com",
                            "a@.com", "a@b."}) {
      Decision d = h.run(RegisterUser{"zed", bad, "h"}, 0);
      CHECK(d.status.code() == Code::kInvalidArgument);
      CHECK(d.status.field() == "email");
    }
  }
}

TEST_CASE("UpdateProfile: self or superuser, same uniqueness rules") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t bob = h.user("bob");
  UpdateProfile u;
  u.user_id = alice;
  u.fields = user_field::kUsername | user_field::kFullName;
  u.username = "alicia";
  u.full_name = "Alicia";
  u.email = "ignored@example.com";
  Decision d = h.ok(u, alice);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].stream == StreamId{Category::User, alice});
  CHECK(d.events[0].expected_version == 1);
  const auto* e = d.events[0].payload.AsUserProfileUpdated();
  REQUIRE(e);
  CHECK(e->changed == (user_field::kUsername | user_field::kFullName));
  CHECK(e->username == "alicia");
  CHECK(e->full_name == "Alicia");
  CHECK(e->email.empty());
  CHECK(h.state.user_by_username("alicia") == alice);
  CHECK(h.state.user_by_username("alice") == 0);
  // The old name is free again.
  CHECK(h.run(RegisterUser{"alice", "new@example.com", "h"}, 0).status.is_ok());

  UpdateProfile taken;
  taken.user_id = alice;
  taken.fields = user_field::kEmail;
  taken.email = "BOB@example.com";
  Decision c = h.run(taken, alice);
  CHECK(c.status.code() == Code::kConflict);
  CHECK(c.status.message() == "Email already exists");
  CHECK(c.status.field() == "email");

  // Keeping one's own email is not a conflict.
  taken.email = "ALICE@example.com";
  CHECK(h.run(taken, alice).status.is_ok());

  UpdateProfile other;
  other.user_id = alice;
  other.fields = user_field::kFullName;
  other.full_name = "x";
  CHECK(h.run(other, bob).status.code() == Code::kForbidden);
  other.user_id = 99;
  Decision nf = h.run(other, bob);
  CHECK(nf.status.code() == Code::kNotFound);
  CHECK(nf.status.message() == "User not found");

  h.ok(SetSuperuser{bob, true}, 0);
  other.user_id = alice;
  CHECK(h.run(other, bob).status.is_ok());
}

TEST_CASE("ChangePassword records the new hash for self") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t bob = h.user("bob");
  Decision d = h.ok(ChangePassword{alice, "$new"}, alice);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].payload.AsPasswordChanged()->password_hash == "$new");
  CHECK(h.run(ChangePassword{alice, "$x"}, bob).status.code() == Code::kForbidden);
  CHECK(h.run(ChangePassword{alice, ""}, alice).status.code() == Code::kInvalidArgument);
}

TEST_CASE("ChangePassword ends every other open session of the user") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t bob = h.user("bob");
  int64_t exp = h.clock.now_us() + 24 * kHour;
  h.ok(StartSession{alice, "j1", exp}, alice);   // session 1: the one asking
  h.ok(StartSession{alice, "j2", exp}, alice);   // session 2
  h.ok(StartSession{bob, "j3", exp}, bob);       // session 3
  Decision d = h.ok(ChangePassword{alice, "$new", 1}, alice);
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[1].stream == StreamId{Category::Session, 2});
  CHECK(d.events[1].payload.AsSessionEnded()->reason == ev::SessionEndReason::Revoked);
  CHECK_FALSE(h.state.session(1)->ended);
  CHECK(h.state.session(2)->ended);
  CHECK_FALSE(h.state.session(3)->ended);

  // Without a session to keep (a superuser or the system changing it), all end.
  h.ok(ChangePassword{alice, "$newer"}, 0);
  CHECK(h.state.session(1)->ended);
  CHECK_FALSE(h.state.session(3)->ended);
}

TEST_CASE("SetSuperuser and SetUserActive: system or superuser only") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t bob = h.user("bob");
  Decision f = h.run(SetSuperuser{bob, true}, alice);
  CHECK(f.status.code() == Code::kForbidden);
  CHECK(f.events.empty());
  Decision d = h.ok(SetSuperuser{alice, true}, 0);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].payload.AsUserPromoted()->is_superuser);
  CHECK(h.state.is_superuser(alice));

  h.ok(StartSession{bob, "j", h.clock.now_us() + kHour}, bob);
  Decision off = h.ok(SetUserActive{bob, false}, alice);
  // Deactivation ends the user's sessions in the same decision.
  REQUIRE(off.events.size() == 2);
  CHECK(off.events[1].stream == StreamId{Category::Session, 1});
  CHECK(h.state.session(1)->ended);
  CHECK(off.events[0].payload.type == ev::Payload::UserDeactivated);
  CHECK_FALSE(h.state.user(bob)->active);
  CHECK(h.run(SetUserActive{alice, false}, bob).status.code() == Code::kForbidden);
  Decision on = h.ok(SetUserActive{bob, true}, 0);
  REQUIRE(on.events.size() == 1);
  CHECK(on.events[0].payload.type == ev::Payload::UserReactivated);
  CHECK(h.state.user(bob)->active);
  CHECK(h.state.session(1)->ended);   // reactivation revives no session

  Decision demote = h.ok(SetSuperuser{alice, false}, alice);
  CHECK_FALSE(demote.events[0].payload.AsUserPromoted()->is_superuser);
  CHECK_FALSE(h.state.is_superuser(alice));
  CHECK(h.run(SetSuperuser{77, true}, 0).status.code() == Code::kNotFound);
}

TEST_CASE("DeleteUser ends the user's open sessions in the same decision") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t bob = h.user("bob");
  int64_t exp = h.clock.now_us() + 24 * kHour;
  h.ok(StartSession{alice, "j1", exp}, alice);
  h.ok(StartSession{alice, "j2", exp}, alice);
  h.ok(StartSession{bob, "j3", exp}, bob);
  h.ok(EndSession{1, ev::SessionEndReason::Logout}, alice);

  CHECK(h.run(DeleteUser{alice}, bob).status.code() == Code::kForbidden);
  Decision d = h.ok(DeleteUser{alice}, alice);
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[0].stream == StreamId{Category::User, alice});
  CHECK(d.events[0].payload.type == ev::Payload::UserDeleted);
  CHECK(d.events[1].stream == StreamId{Category::Session, 2});
  CHECK(d.events[1].payload.AsSessionEnded()->reason == ev::SessionEndReason::UserDeleted);
  CHECK(h.state.user(alice)->deleted);
  CHECK(h.state.session(2)->ended);
  CHECK_FALSE(h.state.session(3)->ended);
  // Username and email are free again; the deleted user is gone.
  CHECK(h.run(RegisterUser{"alice", "alice@example.com", "h"}, 0).status.is_ok());
  CHECK(h.run(DeleteUser{alice}, 0).status.code() == Code::kNotFound);
}

TEST_CASE("DeleteUser: a superuser cannot delete their own account") {
  Harness h;
  int64_t root = h.user("root");
  int64_t other = h.user("other");
  h.ok(SetSuperuser{root, true}, 0);
  h.ok(SetSuperuser{other, true}, 0);
  Decision self = h.run(DeleteUser{root}, root);
  CHECK(self.status.code() == Code::kFailedPrecondition);
  CHECK(self.status.reason() == Reason::kSelfDeletion);
  CHECK(self.events.empty());
  CHECK_FALSE(h.state.user(root)->deleted);
  // Another superuser, or the system, may.
  h.ok(DeleteUser{root}, other);
  CHECK(h.state.user(root)->deleted);
  h.ok(DeleteUser{other}, 0);
}

namespace {

UpdateAccount account_change(int64_t user) {
  UpdateAccount a;
  a.profile.user_id = user;
  return a;
}

}  // namespace

TEST_CASE("UpdateAccount: profile and password by the user, flags by a superuser only") {
  Harness h;
  int64_t root = h.user("root");
  int64_t alice = h.user("alice");
  int64_t bob = h.user("bob");
  h.ok(SetSuperuser{root, true}, 0);

  UpdateAccount mine = account_change(alice);
  mine.profile.fields = user_field::kFullName | user_field::kEmail;
  mine.profile.full_name = "Alice L";
  mine.profile.email = "alice@new.example.com";
  Decision d = h.ok(mine, alice);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].payload.AsUserProfileUpdated()->changed == (user_field::kFullName | user_field::kEmail));
  CHECK(h.state.user_by_email("ALICE@new.example.com") == alice);

  // Another user's account: refused. Sending a flag, even the current value: refused.
  CHECK(h.run(mine, bob).status.code() == Code::kForbidden);
  for (bool value : {true, false}) {
    UpdateAccount flag = account_change(alice);
    flag.is_active = value;
    Decision f = h.run(flag, alice);
    CHECK(f.status.code() == Code::kForbidden);
    CHECK(f.events.empty());
    UpdateAccount promote = account_change(alice);
    promote.is_superuser = value;
    CHECK(h.run(promote, alice).status.code() == Code::kForbidden);
  }
  CHECK_FALSE(h.state.is_superuser(alice));

  // A superuser sets them; a value equal to the current one records nothing.
  UpdateAccount flags = account_change(alice);
  flags.is_superuser = true;
  flags.is_active = true;
  Decision p = h.ok(flags, root);
  REQUIRE(p.events.size() == 1);
  CHECK(p.events[0].payload.AsUserPromoted()->is_superuser);
  CHECK(h.state.is_superuser(alice));
  CHECK(h.ok(flags, root).events.empty());

  CHECK(h.run(account_change(99), root).status.code() == Code::kNotFound);
}

TEST_CASE("UpdateAccount is all or nothing") {
  Harness h;
  int64_t root = h.user("root");
  int64_t alice = h.user("alice");
  h.user("bob");
  h.ok(SetSuperuser{root, true}, 0);
  UpdateAccount a = account_change(alice);
  a.profile.fields = user_field::kFullName | user_field::kUsername;
  a.profile.full_name = "Alice";
  a.profile.username = "bob";   // taken
  a.password_hash = "$new";
  a.is_superuser = true;
  Decision d = h.run(a, root);
  CHECK(d.status.reason() == Reason::kDuplicateUsername);
  CHECK(d.events.empty());
  CHECK_FALSE(h.state.is_superuser(alice));
  CHECK(h.state.user(alice)->username == "alice");

  a.profile.username = "alice";   // keeping one's own name is no conflict
  a.password_hash = "";
  CHECK(h.run(a, root).status.code() == Code::kInvalidArgument);
}

TEST_CASE("UpdateAccount ends sessions once: other sessions on a new password, all on deactivation") {
  Harness h;
  int64_t root = h.user("root");
  int64_t alice = h.user("alice");
  h.ok(SetSuperuser{root, true}, 0);
  int64_t exp = h.clock.now_us() + 24 * kHour;
  h.ok(StartSession{alice, "a1", exp}, alice);   // 1
  h.ok(StartSession{alice, "a2", exp}, alice);   // 2
  h.ok(StartSession{alice, "a3", exp}, alice);   // 3

  UpdateAccount pw = account_change(alice);
  pw.password_hash = "$new";
  pw.keep_session_id = 1;
  Decision d = h.ok(pw, alice);
  REQUIRE(d.events.size() == 3);
  CHECK(d.events[0].payload.type == ev::Payload::PasswordChanged);
  CHECK(d.events[1].stream == StreamId{Category::Session, 2});
  CHECK(d.events[2].stream == StreamId{Category::Session, 3});
  CHECK_FALSE(h.state.session(1)->ended);

  h.ok(StartSession{alice, "a4", exp}, alice);   // 4
  UpdateAccount off = account_change(alice);
  off.password_hash = "$newer";
  off.is_active = false;
  off.keep_session_id = 1;   // deactivation keeps none
  Decision o = h.ok(off, root);
  REQUIRE(o.events.size() == 4);   // PasswordChanged, UserDeactivated, sessions 1 and 4
  CHECK(o.events[1].payload.type == ev::Payload::UserDeactivated);
  CHECK(o.events[2].stream == StreamId{Category::Session, 1});
  CHECK(o.events[3].stream == StreamId{Category::Session, 4});
  CHECK_FALSE(h.state.user(alice)->active);

  UpdateAccount on = account_change(alice);
  on.is_active = true;
  Decision back = h.ok(on, root);
  REQUIRE(back.events.size() == 1);
  CHECK(back.events[0].payload.type == ev::Payload::UserReactivated);
}
