#include "api/auth_flows.hpp"

#include <algorithm>
#include <mutex>

#include "api/fields.hpp"
#include "api/identity.hpp"
#include "api/mailer.hpp"

namespace almanac::api::auth {

// Every argument of a co_awaited call is a named object moved in, never a
// temporary built in the co_await expression itself: this compiler (GCC 12)
// can destroy such a temporary twice, which corrupted the heap under load.

namespace {

constexpr int64_t kUsPerS = 1'000'000;

Status bad_refresh(Reason reason = Reason::kTokenInvalid) {
  return unauthenticated("Invalid or expired refresh token").because(reason);
}

bool same_ascii_case_insensitive(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
    if (lower(static_cast<unsigned char>(a[i])) != lower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// A hash of a password nobody knows, made with the server's own cost, so that
// verifying against it takes as long as verifying a real account's hash.
const std::string& dummy_hash(const PasswordHasher& hasher) {
  static std::once_flag once;
  static std::string hash;
  std::call_once(once, [&] {
    auto h = hasher.hash(random_token_id());
    hash = h ? h.value() : std::string();
  });
  return hash;
}

template <typename T>
const T* find_payload(const cmd::CommandResult& r, ev::Payload type, const Envelope** env) {
  for (const auto& e : r.events) {
    if (e.payload.type != type) continue;
    *env = &e;
    return static_cast<const T*>(e.payload.value);
  }
  return nullptr;
}

// The tokens of a session whose refresh-token id and expiry were recorded at
// `recorded_at_us`. Derived only from what the log holds, so that a repeated
// request (Idempotency-Key) gets the very same tokens.
// A refresh token that is not the caller's to end, or no token at all.
Status invalid_refresh() {
  return invalid("Invalid or expired refresh token", "refresh").because(Reason::kTokenInvalid);
}

Tokens session_tokens(Service& s, int64_t user_id, int64_t session_id, const std::string& jti,
                      int64_t refresh_expires_us, int64_t recorded_at_us) {
  Tokens t;
  t.user_id = user_id;
  t.session_id = session_id;
  t.refresh_expires_at = refresh_expires_us / kUsPerS;
  t.access_expires_at = recorded_at_us / kUsPerS + s.config().access_ttl_s;
  t.refresh = s.tokens().issue({TokenClaims::kRefresh, user_id, session_id, jti, t.refresh_expires_at});
  t.access = s.tokens().issue({TokenClaims::kAccess, user_id, session_id, jti + ".a", t.access_expires_at});
  return t;
}

}  // namespace

Status check_password(std::string_view password) {
  size_t n = code_points(password);
  if (n < kMinPasswordLength)
    return invalid("Password must be at least " + std::to_string(kMinPasswordLength) + " characters",
                   "password");
  if (n > kMaxPasswordLength)
    return invalid("Password must be at most " + std::to_string(kMaxPasswordLength) + " characters",
                   "password");
  return Status::ok();
}

void password_rule(std::string_view password, const Loc& base, std::vector<Problem>& problems,
                   std::string_view field) {
  if (Status st = check_password(password); !st) {
    Loc loc = base;
    loc.emplace_back(field);
    problems.push_back(Problem::because(std::move(loc), st.message()));
  }
}

void checks_password(const NewUser& user, const Loc& base, std::vector<Problem>& problems) {
  password_rule(user.password, base, problems);
}

const Model<LoginForm>& login_form() {
  static const Model<LoginForm> m =
      Model<LoginForm>("Login")
          .field("username", &LoginForm::username, text().describe("The username, or the email"))
          .field("password", &LoginForm::password, text());
  return m;
}

net::awaitable<Result<std::string>> hash_password(Service& s, const std::string& password) {
  // The blocking job captures only references into this frame, which
  // outlives it: a job must not own anything it would destroy on the pool.
  const PasswordHasher& hasher = s.hasher();
  // The job returns a plain bool and leaves the hash in this frame: a
  // non-trivial result type through run_blocking corrupted the heap under
  // load with this compiler's coroutines.
  std::string password_hash;
  bool hashed = co_await s.run_blocking([&hasher, &password, &password_hash] {
    auto h = hasher.hash(password);
    if (h) password_hash = std::move(h.value());
    return h.is_ok();
  });
  if (!hashed) co_return internal_error("Password hashing failed");
  co_return password_hash;
}

net::awaitable<Result<proj::UserView>> register_user(Exchange& ex, NewUser&& user) {
  Service& s = ex.service;
  if (Status st = check_password(user.password); !st) co_return st;
  const PasswordHasher& hasher = s.hasher();
  const std::string& password = user.password;
  Result<std::string> hashed = co_await hash_password(s, password);
  if (!hashed) co_return hashed.status();
  std::string password_hash = std::move(hashed.value());

  cmd::RegisterUser command;
  command.username = user.username;
  command.email = user.email;
  command.password_hash = std::move(password_hash);
  command.first_name = user.first_name;
  command.last_name = user.last_name;
  command.full_name = user.full_name;
  cmd::CommandEnvelope envelope = s.envelope(ex, std::move(command), 0);
  cmd::CommandResult r = co_await s.submit(std::move(envelope));
  if (!r.status) co_return r.status;

  const Envelope* env = nullptr;
  if (!find_payload<ev::UserRegisteredT>(r, ev::Payload::UserRegistered, &env))
    co_return internal_error("Registration recorded no account");
  auto view = s.models().user(env->stream_id);
  if (!view) co_return internal_error("The registered account is not readable");
  if (r.duplicate) {
    // The key was used before: answer with that account only for the same
    // request, never hand one client's account to another that picked the
    // same key.
    bool same = view->username == user.username && same_ascii_case_insensitive(view->email, user.email);
    const std::string& stored = view->password_hash;
    if (same) same = co_await s.run_blocking([&hasher, &stored, &password] { return hasher.verify(stored, password); });
    if (!same)
      co_return conflict("Idempotency-Key was already used for another request", "Idempotency-Key")
          .because(Reason::kIdempotencyKeyReused);
  }
  co_return std::move(view.value());
}

net::awaitable<Result<Tokens>> start_session(Exchange& ex, const proj::UserView& user,
                                             std::string_view key_suffix) {
  Service& s = ex.service;
  cmd::StartSession command;
  command.user_id = user.id;
  command.refresh_jti = random_token_id();
  command.expires_at = s.clock().now_us() + s.config().refresh_ttl_s * kUsPerS;
  cmd::CommandEnvelope envelope = s.envelope(ex, std::move(command), user.id);
  if (!envelope.idempotency_key.empty()) envelope.idempotency_key += key_suffix;
  cmd::CommandResult r = co_await s.submit(std::move(envelope));
  if (!r.status) co_return r.status;
  const Envelope* env = nullptr;
  const auto* started = find_payload<ev::SessionStartedT>(r, ev::Payload::SessionStarted, &env);
  if (!started) co_return internal_error("Login recorded no session");
  co_return session_tokens(s, user.id, env->stream_id, started->refresh_jti, started->expires_at,
                           env->recorded_at);
}

net::awaitable<Result<SignedIn>> login(Exchange& ex, std::string_view username_or_email,
                                       std::string_view password) {
  Service& s = ex.service;
  std::optional<proj::UserView> user = s.models().user_by_login(username_or_email);
  const PasswordHasher& hasher = s.hasher();
  const std::string hash = user ? user->password_hash : std::string();
  bool verified = co_await s.run_blocking([&hasher, &hash, password] {
    // Unknown accounts cost one verification too.
    return hasher.verify(hash.empty() ? dummy_hash(hasher) : hash, password) && !hash.empty();
  });
  if (!user || !verified) co_return unauthenticated("Invalid credentials").because(Reason::kInvalidCredentials);
  if (!user->is_active) co_return forbidden("Account disabled").because(Reason::kAccountDisabled);
  Result<Tokens> tokens = co_await start_session(ex, *user);
  if (!tokens) co_return tokens.status();
  // The view again, so that last_login includes this login.
  auto fresh = s.models().user(user->id);
  co_return SignedIn{fresh ? std::move(*fresh) : std::move(*user), std::move(tokens.value())};
}

net::awaitable<Result<Tokens>> refresh(Exchange& ex, std::string_view refresh_token) {
  Service& s = ex.service;
  const int64_t now_us = s.clock().now_us();
  auto claims = s.tokens().verify(refresh_token, TokenClaims::kRefresh, now_us / kUsPerS);
  if (!claims) co_return claims.status().reason() == Reason::kTokenExpired ? claims.status() : bad_refresh();

  cmd::RefreshSession command;
  command.session_id = claims->session_id;
  command.presented_jti = claims->jti;
  command.new_jti = random_token_id();
  command.expires_at = now_us + s.config().refresh_ttl_s * kUsPerS;
  auto session = s.models().session(claims->session_id);
  if (!session || session->user_id != claims->user_id) co_return bad_refresh();
  cmd::CommandEnvelope envelope = s.envelope(ex, std::move(command), claims->user_id);
  cmd::CommandResult r = co_await s.submit(std::move(envelope));
  if (!r.status) co_return r.status.code() == Code::kUnauthenticated ? r.status : bad_refresh();
  const Envelope* env = nullptr;
  const auto* refreshed = find_payload<ev::SessionRefreshedT>(r, ev::Payload::SessionRefreshed, &env);
  if (!refreshed) co_return internal_error("Refresh recorded no rotation");
  co_return session_tokens(s, claims->user_id, claims->session_id, refreshed->refresh_jti,
                           refreshed->expires_at, env->recorded_at);
}

net::awaitable<Status> logout(Exchange& ex, const Principal& who) {
  cmd::EndSession command;
  command.session_id = who.session_id;
  command.reason = ev::SessionEndReason::Logout;
  cmd::CommandEnvelope envelope = ex.service.envelope(ex, command, who.user_id);
  cmd::CommandResult r = co_await ex.service.submit(std::move(envelope));
  co_return r.status;
}

net::awaitable<Status> logout_refresh(Exchange& ex, const Principal& who, std::string_view refresh_token) {
  Service& s = ex.service;
  auto claims = s.tokens().verify(refresh_token, TokenClaims::kRefresh, s.clock().now_us() / kUsPerS);
  if (!claims || claims->user_id != who.user_id) co_return invalid_refresh();
  cmd::EndSession command;
  command.session_id = claims->session_id;
  command.reason = ev::SessionEndReason::Logout;
  cmd::CommandEnvelope envelope = s.envelope(ex, command, who.user_id);
  cmd::CommandResult r = co_await s.submit(std::move(envelope));
  if (!r.status && r.status.code() == Code::kUnauthenticated) co_return invalid_refresh();
  co_return r.status;
}

net::awaitable<Result<proj::UserView>> update_account(Exchange& ex, int64_t user_id, AccountChange&& change,
                                                      std::optional<uint64_t> expected_version) {
  Service& s = ex.service;
  cmd::UpdateAccount command;
  command.profile = std::move(change.profile);
  command.profile.user_id = user_id;
  command.is_active = change.is_active;
  command.is_superuser = change.is_superuser;
  if (change.password) {
    if (Status st = check_password(*change.password); !st) co_return st;
    const std::string& password = *change.password;
    Result<std::string> hashed = co_await hash_password(s, password);
    if (!hashed) co_return hashed.status();
    command.password_hash = std::move(hashed.value());
  }
  const int64_t actor = ex.caller ? ex.caller->user_id : 0;
  if (actor == user_id && ex.caller) command.keep_session_id = ex.caller->session_id;
  cmd::CommandEnvelope envelope = s.envelope(ex, std::move(command), actor);
  envelope.expected_version = expected_version;
  cmd::CommandResult r = co_await s.submit(std::move(envelope));
  if (!r.status) co_return r.status;
  auto view = s.models().user(user_id);
  if (!view) co_return not_found("User not found");
  co_return std::move(*view);
}

net::awaitable<Result<proj::UserView>> update_profile(Exchange& ex, const Principal& who,
                                                      cmd::UpdateProfile&& change,
                                                      std::optional<uint64_t> expected_version) {
  Service& s = ex.service;
  change.user_id = who.user_id;
  if (change.fields == 0) {
    // Nothing to record; a stale If-Match is still refused.
    auto current = s.models().user(who.user_id);
    if (expected_version && (!current || *expected_version != current->version))
      co_return conflict("Resource was modified", "If-Match").because(Reason::kStaleVersion);
  } else {
    cmd::CommandEnvelope envelope = s.envelope(ex, std::move(change), who.user_id);
    envelope.expected_version = expected_version;
    cmd::CommandResult r = co_await s.submit(std::move(envelope));
    if (!r.status) co_return r.status;
  }
  auto view = s.models().user(who.user_id);
  if (!view) co_return not_found("User not found");
  co_return std::move(*view);
}

// ---- password reset --------------------------------------------------------------

namespace {

Status bad_reset() {
  return invalid("Invalid or expired password reset token", "token").because(Reason::kInvalidResetToken);
}

std::string minutes_text(int64_t seconds) {
  const int64_t minutes = std::max<int64_t>(1, seconds / 60);
  return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
}

}  // namespace

std::string reset_link_base(const Service& service) {
  const ServerConfig& config = service.config();
  if (!config.reset_link_base.empty()) return config.reset_link_base;
  return service.origin() + "/reset-password?token=";
}

void request_password_reset(Service& service, std::string email) {
  Service* s = &service;
  s->in_background([s, email = std::move(email)] {
    auto user = s->models().user_by_email(email);
    if (!user || user->deleted || !user->is_active) return;  // nothing to tell anyone
    const std::string secret = random_secret();
    const int64_t ttl_s = s->config().reset_ttl_s;
    cmd::CommandEnvelope envelope;
    envelope.command = cmd::RequestPasswordReset{user->id, secret_hash(secret), s->clock().now_us() + ttl_s * kUsPerS};
    envelope.actor_id = 0;  // nobody is signed in: the request is the server's
    envelope.correlation_id = random_token_id();
    cmd::CommandResult r = s->writer().submit(std::move(envelope)).get();
    if (!r.status) {
      s->notice("password reset for user " + std::to_string(user->id) + " not recorded: " + r.status.message());
      return;
    }
    Mail mail;
    mail.to = user->email;
    mail.subject = "Reset your password";
    mail.text = "Hello " + user->username + ",\n\n" +
                "someone asked to reset the password of your account. To choose a new one, open this link:\n\n" +
                reset_link_base(*s) + secret + "\n\n" + "The link works once, for " + minutes_text(ttl_s) +
                ". If you did not ask for it, ignore this message: your password stays as it is.\n";
    Result<std::string> sent = s->mailer().send(mail);
    if (sent)
      s->notice("password reset mail for user " + std::to_string(user->id) + " delivered to " + *sent);
    else
      s->notice("password reset mail for user " + std::to_string(user->id) + " not delivered: " +
                sent.status().message());
  });
}

net::awaitable<Status> reset_password(Exchange& ex, std::string&& secret, std::string&& new_password) {
  Service& s = ex.service;
  const std::string hash = secret_hash(secret);
  // The domain decides; this only spares an Argon2id hash for a secret that
  // cannot work.
  auto reset = s.models().password_reset(hash);
  if (!reset || reset->used || s.clock().now_us() >= reset->expires_at) co_return bad_reset();
  if (Status st = check_password(new_password); !st) co_return invalid(st.message(), "new_password");

  const PasswordHasher& hasher = s.hasher();
  const std::string& password = new_password;
  std::string password_hash;
  bool hashed = co_await s.run_blocking([&hasher, &password, &password_hash] {
    auto h = hasher.hash(password);
    if (h) password_hash = std::move(h.value());
    return h.is_ok();
  });
  if (!hashed) co_return internal_error("Password hashing failed");
  cmd::CompletePasswordReset command{hash, std::move(password_hash)};
  cmd::CommandEnvelope envelope = s.envelope(ex, std::move(command), 0);
  cmd::CommandResult r = co_await s.submit(std::move(envelope));
  co_return r.status;
}

}  // namespace almanac::api::auth
