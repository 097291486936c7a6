// Sessions (login, refresh-token rotation with reuse detection, logout) and
// password resets (single use, expiring, stored as token hashes).
#include <algorithm>

#include "commands/aggregates.hpp"

namespace almanac::cmd {

namespace {

constexpr const char* kBadRefresh = "Invalid or expired refresh token";
constexpr const char* kBadReset = "Invalid or expired password reset token";

bool is_open(const SessionState& s, int64_t now) { return !s.ended && now < s.expires_at; }

void end_session(Context& c, int64_t session_id, ev::SessionEndReason reason) {
  ev::SessionEndedT e;
  e.reason = reason;
  c.out.emit({Category::Session, session_id}, std::move(e));
}

}  // namespace

std::vector<int64_t> open_sessions(const WriteState& s, int64_t user_id, int64_t now) {
  std::vector<int64_t> out;
  const auto* ids = s.user_sessions.find(user_id);
  if (!ids) return out;
  for (int64_t sid : *ids) {
    const SessionState* ss = s.sessions.find(sid);
    if (ss && is_open(*ss, now)) out.push_back(sid);
  }
  return out;
}

Status decide_command(Context& c, const StartSession& cmd) {
  const UserState* u = c.state.user(cmd.user_id);
  if (!u || u->deleted) return not_found("User not found");
  if (!u->active) return unauthenticated("Account disabled").because(Reason::kAccountDisabled);
  if (cmd.refresh_jti.empty()) return invalid("A refresh token id is required", "refresh_jti");
  if (cmd.expires_at <= c.now) return invalid("Session expiry must be in the future", "expires_at");
  int64_t sid = c.out.allocate(Category::Session);
  ev::SessionStartedT started;
  started.uuid = c.ids.uuid();
  started.user_id = cmd.user_id;
  started.refresh_jti = cmd.refresh_jti;
  started.expires_at = cmd.expires_at;
  c.out.emit({Category::Session, sid}, std::move(started));
  ev::UserLoggedInT login;
  login.session_id = sid;
  c.out.emit({Category::User, cmd.user_id}, std::move(login));
  return Status::ok();
}

Status decide_command(Context& c, const RefreshSession& cmd) {
  const SessionState* s = c.state.session(cmd.session_id);
  if (!s || !is_open(*s, c.now)) return unauthenticated(kBadRefresh).because(Reason::kSessionEnded);
  const UserState* u = c.state.user(s->user_id);
  if (!u || u->deleted) return unauthenticated(kBadRefresh).because(Reason::kUserGone);
  if (!u->active) return unauthenticated("Account disabled").because(Reason::kAccountDisabled);
  if (!cmd.presented_jti.empty() && cmd.presented_jti == s->refresh_jti) {
    if (cmd.new_jti.empty() || cmd.new_jti == s->refresh_jti ||
        std::find(s->earlier_jtis.begin(), s->earlier_jtis.end(), cmd.new_jti) !=
            s->earlier_jtis.end())
      return invalid("The new refresh token id must be fresh", "new_jti");
    ev::SessionRefreshedT e;
    e.previous_jti = s->refresh_jti;
    e.refresh_jti = cmd.new_jti;
    e.expires_at = cmd.expires_at;
    c.out.emit({Category::Session, cmd.session_id}, std::move(e));
    return Status::ok();
  }
  if (!cmd.presented_jti.empty() &&
      std::find(s->earlier_jtis.begin(), s->earlier_jtis.end(), cmd.presented_jti) !=
          s->earlier_jtis.end()) {
    ev::RefreshReuseDetectedT reuse;
    reuse.jti = cmd.presented_jti;
    c.out.emit({Category::Session, cmd.session_id}, std::move(reuse));
    end_session(c, cmd.session_id, ev::SessionEndReason::RefreshReuse);
    c.out.keep_on_refusal();
    return unauthenticated("Refresh token reuse detected; session revoked").because(Reason::kTokenReused);
  }
  return unauthenticated(kBadRefresh).because(Reason::kTokenInvalid);
}

Status decide_command(Context& c, const EndSession& cmd) {
  const SessionState* s = c.state.session(cmd.session_id);
  if (!s || !is_open(*s, c.now)) return unauthenticated("Session not found or already ended").because(Reason::kSessionEnded);
  if (c.actor != 0 && c.actor != s->user_id && !c.state.is_superuser(c.actor))
    return forbidden("Not enough permissions");
  end_session(c, cmd.session_id, cmd.reason);
  return Status::ok();
}

Status decide_command(Context& c, const RequestPasswordReset& cmd) {
  const UserState* u = c.state.user(cmd.user_id);
  if (!u || u->deleted) return not_found("User not found");
  if (cmd.token_hash.empty()) return invalid("A token hash is required", "token");
  if (c.state.reset_by_token(cmd.token_hash) != 0)
    return conflict("Password reset token already issued", "token");
  if (cmd.expires_at <= c.now) return invalid("Reset expiry must be in the future", "expires_at");
  ev::PasswordResetRequestedT e;
  e.user_id = cmd.user_id;
  e.token_hash = cmd.token_hash;
  e.expires_at = cmd.expires_at;
  c.out.emit({Category::PasswordReset, c.out.allocate(Category::PasswordReset)}, std::move(e));
  return Status::ok();
}

Status decide_command(Context& c, const CompletePasswordReset& cmd) {
  int64_t rid = cmd.token_hash.empty() ? 0 : c.state.reset_by_token(cmd.token_hash);
  const PasswordResetState* r = rid ? c.state.password_reset(rid) : nullptr;
  if (!r || r->used || c.now >= r->expires_at) return invalid(kBadReset, "token").because(Reason::kInvalidResetToken);
  const UserState* u = c.state.user(r->user_id);
  if (!u || u->deleted) return invalid(kBadReset, "token").because(Reason::kInvalidResetToken);
  if (cmd.new_password_hash.empty()) return invalid("Password is required", "new_password");
  c.out.emit({Category::PasswordReset, rid}, ev::PasswordResetCompletedT{});
  ev::PasswordChangedT changed;
  changed.password_hash = cmd.new_password_hash;
  c.out.emit({Category::User, r->user_id}, std::move(changed));
  for (int64_t sid : open_sessions(c.state, r->user_id, c.now))
    end_session(c, sid, ev::SessionEndReason::Revoked);
  return Status::ok();
}

void apply_session(WriteState& s, const Envelope& e) {
  int64_t id = e.stream_id;
  switch (e.payload.type) {
    case ev::Payload::SessionStarted: {
      const auto* p = e.payload.AsSessionStarted();
      SessionState& ss = s.sessions[id];
      ss.user_id = p->user_id;
      ss.refresh_jti = p->refresh_jti;
      ss.expires_at = p->expires_at;
      s.user_sessions[p->user_id].insert(id);
      break;
    }
    case ev::Payload::SessionRefreshed: {
      const auto* p = e.payload.AsSessionRefreshed();
      SessionState& ss = s.sessions[id];
      ss.earlier_jtis.push_back(std::move(ss.refresh_jti));
      ss.refresh_jti = p->refresh_jti;
      ss.expires_at = p->expires_at;
      break;
    }
    case ev::Payload::SessionEnded: {
      SessionState& ss = s.sessions[id];
      ss.ended = true;
      if (auto* open = s.user_sessions.find(ss.user_id)) open->erase(id);
      break;
    }
    case ev::Payload::PasswordResetRequested: {
      const auto* p = e.payload.AsPasswordResetRequested();
      PasswordResetState& r = s.password_resets[id];
      r.user_id = p->user_id;
      r.token_hash = p->token_hash;
      r.expires_at = p->expires_at;
      s.reset_index.insert_or_assign(p->token_hash, id);
      break;
    }
    case ev::Payload::PasswordResetCompleted: s.password_resets[id].used = true; break;
    default: break;   // RefreshReuseDetected: the SessionEnded after it ends the session
  }
}

}  // namespace almanac::cmd
