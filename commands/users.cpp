// Users: registration, profile, password, superuser and active flags,
// deletion, and the account change of user administration. A new password,
// a deactivation and a deletion end the user's sessions in the same decision.
#include <algorithm>
#include <cctype>

#include "commands/aggregates.hpp"

namespace almanac::cmd {

namespace {

constexpr size_t kMaxUsername = 150;
constexpr size_t kMaxEmail = 254;

bool valid_username(const std::string& u) {
  if (u.empty() || u.size() > kMaxUsername) return false;
  return std::all_of(u.begin(), u.end(), [](unsigned char ch) {
    return std::isalnum(ch) || ch == '_' || ch == '.' || ch == '@' || ch == '+' || ch == '-';
  });
}

// local@domain.tld: one '@', a non-empty local part, a domain with a dot that
// neither starts nor ends it, no spaces or control characters.
bool valid_email(const std::string& e) {
  if (e.size() < 3 || e.size() > kMaxEmail) return false;
  if (std::any_of(e.begin(), e.end(),
                  [](unsigned char ch) { return ch <= ' ' || ch == 0x7f; }))
    return false;
  auto at = e.find('@');
  if (at == std::string::npos || at == 0 || e.find('@', at + 1) != std::string::npos)
    return false;
  std::string domain = e.substr(at + 1);
  auto dot = domain.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == domain.size()) return false;
  return domain.front() != '.' && domain.find("..") == std::string::npos;
}

Status check_username(const WriteState& s, const std::string& username, int64_t self) {
  if (!valid_username(username))
    return invalid("Username must be 1 to 150 characters: letters, digits and @.+-_",
                   "username");
  int64_t holder = s.user_by_username(username);
  if (holder != 0 && holder != self) return conflict("Username already exists", "username").because(Reason::kDuplicateUsername);
  return Status::ok();
}

Status check_email(const WriteState& s, const std::string& email, int64_t self) {
  if (!valid_email(email)) return invalid("Invalid email address", "email").because(Reason::kInvalidEmail);
  int64_t holder = s.user_by_email(email);
  if (holder != 0 && holder != self) return conflict("Email already exists", "email").because(Reason::kDuplicateEmail);
  return Status::ok();
}

const UserState* live_user(const WriteState& s, int64_t id) {
  const UserState* u = s.user(id);
  return u && !u->deleted ? u : nullptr;
}

// Self, a superuser or the system.
bool may_manage(const Context& c, int64_t user_id) {
  return c.actor == 0 || c.actor == user_id || c.state.is_superuser(c.actor);
}

Status user_not_found() { return not_found("User not found"); }

// Index upkeep for apply: an entry is removed only while it still names `id`.
void unindex_username(WriteState& s, const std::string& username, int64_t id) {
  auto it = s.username_index.find(username);
  if (it != s.username_index.end() && it->second == id) s.username_index.erase(it);
}

void unindex_email(WriteState& s, const std::string& email, int64_t id) {
  auto it = s.email_index.find(std::string_view(email));
  if (it != s.email_index.end() && it->second == id) s.email_index.erase(it);
}

// Points the email (any case) at `id`, stored lower-cased.
void index_email(WriteState& s, const std::string& email, int64_t id) {
  auto it = s.email_index.find(std::string_view(email));
  if (it != s.email_index.end())
    it->second = id;
  else
    s.email_index.emplace(lower_ascii(email), id);
}
Status not_permitted() { return forbidden("Not enough permissions"); }

constexpr uint32_t kProfileFields = user_field::kUsername | user_field::kEmail | user_field::kFirstName |
                                    user_field::kLastName | user_field::kFullName | user_field::kBio |
                                    user_field::kAvatar;

// The username and email a profile change names are valid and free.
Status check_profile(const WriteState& s, const UpdateProfile& cmd) {
  if (cmd.fields & user_field::kUsername)
    if (Status st = check_username(s, cmd.username, cmd.user_id); !st) return st;
  if (cmd.fields & user_field::kEmail)
    if (Status st = check_email(s, cmd.email, cmd.user_id); !st) return st;
  return Status::ok();
}

// UserProfileUpdated with the known fields `cmd.fields` names; nothing when
// it names none.
void emit_profile(Context& c, const UpdateProfile& cmd) {
  const uint32_t fields = cmd.fields & kProfileFields;
  if (fields == 0) return;
  ev::UserProfileUpdatedT e;
  e.changed = fields;
  if (fields & user_field::kUsername) e.username = cmd.username;
  if (fields & user_field::kEmail) e.email = cmd.email;
  if (fields & user_field::kFirstName) e.first_name = cmd.first_name;
  if (fields & user_field::kLastName) e.last_name = cmd.last_name;
  if (fields & user_field::kFullName) e.full_name = cmd.full_name;
  if (fields & user_field::kBio) e.bio = cmd.bio;
  if (fields & user_field::kAvatar) e.avatar = cmd.avatar;
  c.out.emit({Category::User, cmd.user_id}, std::move(e));
}

// Ends every open session of `user_id` but `keep` (0: none kept).
void end_sessions(Context& c, int64_t user_id, int64_t keep,
                  ev::SessionEndReason reason = ev::SessionEndReason::Revoked) {
  for (int64_t sid : open_sessions(c.state, user_id, c.now)) {
    if (sid == keep) continue;
    ev::SessionEndedT end;
    end.reason = reason;
    c.out.emit({Category::Session, sid}, std::move(end));
  }
}

}  // namespace

Status decide_command(Context& c, const RegisterUser& cmd) {
  if (Status st = check_username(c.state, cmd.username, 0); !st) return st;
  if (Status st = check_email(c.state, cmd.email, 0); !st) return st;
  if (cmd.password_hash.empty()) return invalid("Password is required", "password");
  ev::UserRegisteredT e;
  e.uuid = c.ids.uuid();
  e.username = cmd.username;
  e.email = cmd.email;
  e.first_name = cmd.first_name;
  e.last_name = cmd.last_name;
  e.full_name = cmd.full_name;
  e.password_hash = cmd.password_hash;
  c.out.emit({Category::User, c.out.allocate(Category::User)}, std::move(e));
  return Status::ok();
}

Status decide_command(Context& c, const UpdateProfile& cmd) {
  if (!live_user(c.state, cmd.user_id)) return user_not_found();
  if (!may_manage(c, cmd.user_id)) return not_permitted();
  if (Status st = check_profile(c.state, cmd); !st) return st;
  emit_profile(c, cmd);
  return Status::ok();
}

Status decide_command(Context& c, const ChangePassword& cmd) {
  if (!live_user(c.state, cmd.user_id)) return user_not_found();
  if (!may_manage(c, cmd.user_id)) return not_permitted();
  if (cmd.password_hash.empty()) return invalid("Password is required", "password");
  ev::PasswordChangedT e;
  e.password_hash = cmd.password_hash;
  c.out.emit({Category::User, cmd.user_id}, std::move(e));
  end_sessions(c, cmd.user_id, cmd.keep_session_id);
  return Status::ok();
}

Status decide_command(Context& c, const SetSuperuser& cmd) {
  if (c.actor != 0 && !c.state.is_superuser(c.actor)) return not_permitted();
  if (!live_user(c.state, cmd.user_id)) return user_not_found();
  ev::UserPromotedT e;
  e.is_superuser = cmd.is_superuser;
  c.out.emit({Category::User, cmd.user_id}, std::move(e));
  return Status::ok();
}

Status decide_command(Context& c, const SetUserActive& cmd) {
  if (c.actor != 0 && !c.state.is_superuser(c.actor)) return not_permitted();
  if (!live_user(c.state, cmd.user_id)) return user_not_found();
  if (cmd.active) {
    c.out.emit({Category::User, cmd.user_id}, ev::UserReactivatedT{});
  } else {
    c.out.emit({Category::User, cmd.user_id}, ev::UserDeactivatedT{});
    end_sessions(c, cmd.user_id, 0);
  }
  return Status::ok();
}

Status decide_command(Context& c, const DeleteUser& cmd) {
  if (!live_user(c.state, cmd.user_id)) return user_not_found();
  if (!may_manage(c, cmd.user_id)) return not_permitted();
  // A superuser removing their own account could leave nobody to administer
  // the others; another superuser (or the system) has to do it.
  if (c.actor == cmd.user_id && c.state.is_superuser(c.actor))
    return failed_precondition("A superuser cannot delete their own account").because(Reason::kSelfDeletion);
  c.out.emit({Category::User, cmd.user_id}, ev::UserDeletedT{});
  end_sessions(c, cmd.user_id, 0, ev::SessionEndReason::UserDeleted);
  return Status::ok();
}

Status decide_command(Context& c, const UpdateAccount& cmd) {
  const int64_t id = cmd.profile.user_id;
  const UserState* u = live_user(c.state, id);
  if (!u) return user_not_found();
  if (!may_manage(c, id)) return not_permitted();
  // Sending a flag at all needs the right to set it: a user who sends
  // is_superuser, even their current value, is refused rather than ignored.
  if ((cmd.is_active || cmd.is_superuser) && c.actor != 0 && !c.state.is_superuser(c.actor))
    return not_permitted();
  if (Status st = check_profile(c.state, cmd.profile); !st) return st;
  if (cmd.password_hash && cmd.password_hash->empty()) return invalid("Password is required", "password");

  emit_profile(c, cmd.profile);
  const bool deactivate = cmd.is_active && !*cmd.is_active && u->active;
  if (cmd.password_hash) {
    ev::PasswordChangedT e;
    e.password_hash = *cmd.password_hash;
    c.out.emit({Category::User, id}, std::move(e));
  }
  if (cmd.is_superuser && *cmd.is_superuser != u->superuser) {
    ev::UserPromotedT e;
    e.is_superuser = *cmd.is_superuser;
    c.out.emit({Category::User, id}, std::move(e));
  }
  if (deactivate) c.out.emit({Category::User, id}, ev::UserDeactivatedT{});
  if (cmd.is_active && *cmd.is_active && !u->active) c.out.emit({Category::User, id}, ev::UserReactivatedT{});
  // Deactivation ends every session; a new password every one but the caller's.
  if (deactivate)
    end_sessions(c, id, 0);
  else if (cmd.password_hash)
    end_sessions(c, id, cmd.keep_session_id);
  return Status::ok();
}

void apply_user(WriteState& s, const Envelope& e) {
  int64_t id = e.stream_id;
  switch (e.payload.type) {
    case ev::Payload::UserRegistered: {
      const auto* p = e.payload.AsUserRegistered();
      UserState& u = s.users[id];
      u.username = p->username;
      u.email = p->email;
      s.username_index.insert_or_assign(u.username, id);
      index_email(s, u.email, id);
      break;
    }
    case ev::Payload::UserProfileUpdated: {
      const auto* p = e.payload.AsUserProfileUpdated();
      UserState& u = s.users[id];
      if (p->changed & user_field::kUsername) {
        unindex_username(s, u.username, id);
        u.username = p->username;
        s.username_index.insert_or_assign(u.username, id);
      }
      if (p->changed & user_field::kEmail) {
        unindex_email(s, u.email, id);
        u.email = p->email;
        index_email(s, u.email, id);
      }
      break;
    }
    case ev::Payload::UserPromoted:
      s.users[id].superuser = e.payload.AsUserPromoted()->is_superuser;
      break;
    case ev::Payload::UserDeactivated: s.users[id].active = false; break;
    case ev::Payload::UserReactivated: s.users[id].active = true; break;
    case ev::Payload::UserDeleted: {
      UserState& u = s.users[id];
      u.deleted = true;
      unindex_username(s, u.username, id);
      unindex_email(s, u.email, id);
      break;
    }
    default: break;   // PasswordChanged, UserLoggedIn: nothing decide() reads
  }
}

}  // namespace almanac::cmd
