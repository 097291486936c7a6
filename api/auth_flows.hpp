// The authentication flows every contract shares, written once over the one
// identity: register, login, session tokens, refresh (rotating or not),
// logout and profile changes. Contract modules (api/contracts/<name>/auth.*)
// only parse requests into these calls and render what comes back in their
// own shapes; docs/contracts/auth.md records the decisions behind them.
//
// Refusals carry a Reason a contract maps to its own answers:
//   kDuplicateUsername, kDuplicateEmail, kInvalidEmail   registration and profile
//   kIdempotencyKeyReused   the key was used for another registration
//   kStaleVersion           If-Match names another version
//   kInvalidCredentials     unknown account or wrong password (never says which)
//   kAccountDisabled        after a correct password only
//   kTokenInvalid, kTokenExpired, kTokenReused, kSessionEnded, kUserGone   refresh
// and InvalidArgument for input the domain refuses (field() names it);
// Unavailable or Internal when the server could not do it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <optional>
#include <string>
#include <string_view>

#include "api/fields.hpp"
#include "api/http.hpp"
#include "api/service.hpp"
#include "projections/views.hpp"

namespace almanac::api::auth {

// The password rule of every contract: 8 to 128 characters (UTF-8 code
// points). Longer ones are refused so that hashing stays bounded.
inline constexpr size_t kMinPasswordLength = 8;
inline constexpr size_t kMaxPasswordLength = 128;

// InvalidArgument (field "password") when `password` breaks the rule.
Status check_password(std::string_view password);
// The rule as a problem at base + `field`.
void password_rule(std::string_view password, const Loc& base, std::vector<Problem>& problems,
                   std::string_view field = "password");

// What a contract gathered from a registration form.
struct NewUser {
  std::string username, email, password;
  std::string first_name, last_name, full_name;
};

// The password rule of a registration model (Model<NewUser>::rule).
void checks_password(const NewUser& user, const Loc& base, std::vector<Problem>& problems);

// A login body of a username (or the email) and a password: the field table
// of the contracts that name them so (collab, admin, gather).
struct LoginForm {
  std::string username, password;
};
const Model<LoginForm>& login_form();

// A session's tokens. Times are UTC seconds.
struct Tokens {
  std::string access;
  std::string refresh;
  int64_t user_id = 0;
  int64_t session_id = 0;
  int64_t access_expires_at = 0;
  int64_t refresh_expires_at = 0;
};

// A successful login: the account and its new session.
struct SignedIn {
  proj::UserView user;
  Tokens tokens;
};

// Coroutines here take what they consume by rvalue reference: the caller's
// named object outlives the co_await, and no by-value parameter becomes a
// temporary of the co_await expression (which GCC 12 may destroy twice).
//
// Registers an account: checks the password, hashes it on the blocking pool,
// submits RegisterUser. With an Idempotency-Key, a repeat of the same
// registration (same username and email, a password that matches) returns
// the account created the first time; a repeat that differs is a Conflict on
// "Idempotency-Key".
net::awaitable<Result<proj::UserView>> register_user(Exchange& ex, NewUser&& user);

// Starts a session for `user` (StartSession with a fresh refresh-token id)
// and issues its tokens. The request's Idempotency-Key, followed by
// `key_suffix`, makes a retried request return the same session and tokens.
net::awaitable<Result<Tokens>> start_session(Exchange& ex, const proj::UserView& user,
                                             std::string_view key_suffix = {});

// Finds the account by username, then by email (any case), verifies the
// password on the blocking pool (against a fixed dummy hash when there is no
// such account, so that both cases take the same time) and starts a session.
net::awaitable<Result<SignedIn>> login(Exchange& ex, std::string_view username_or_email,
                                       std::string_view password);

// Rotates the refresh token of a session: issues a new refresh token (and an
// access token); the presented one becomes a reused token, and presenting
// it again revokes the session. Unauthenticated when the token is invalid,
// expired, of another kind, its session ended, or reused.
net::awaitable<Result<Tokens>> refresh(Exchange& ex, std::string_view refresh_token);

// Ends the caller's session (EndSession): its access and refresh tokens stop
// working at once.
net::awaitable<Status> logout(Exchange& ex, const Principal& who);

// Ends the session a refresh token belongs to, which must be the caller's
// (InvalidArgument on field "refresh" otherwise, or when the token is invalid).
net::awaitable<Status> logout_refresh(Exchange& ex, const Principal& who, std::string_view refresh_token);

// A user-administration change of one account: the profile fields
// `profile.fields` names, a new password (in clear: it is checked against
// the rule and hashed here), and the active and superuser flags.
struct AccountChange {
  cmd::UpdateProfile profile;
  std::optional<std::string> password;
  std::optional<bool> is_active;
  std::optional<bool> is_superuser;
};

// Hashes `password` with Argon2id on the blocking pool (never on an IO
// thread or the writer). Internal when hashing fails.
net::awaitable<Result<std::string>> hash_password(Service& service, const std::string& password);

// Applies `change` to account `user_id` as the caller, all at once
// (UpdateAccount): a new password must follow the password rule
// (InvalidArgument on "password") and revokes the account's other sessions;
// the caller's own session stays open when it is their own account. The
// domain refuses flags sent by anyone but a superuser (Forbidden), a taken
// username or email (kDuplicateUsername, kDuplicateEmail), and an unknown
// or deleted account (NotFound), and a stale `expected_version` (the If-Match
// version; kStaleVersion). Returns the account as it is afterwards.
net::awaitable<Result<proj::UserView>> update_account(Exchange& ex, int64_t user_id, AccountChange&& change,
                                                      std::optional<uint64_t> expected_version);

// Applies a profile change to the caller's account (no change when
// `change.fields` is empty). `expected_version` is the If-Match version.
net::awaitable<Result<proj::UserView>> update_profile(Exchange& ex, const Principal& who,
                                                      cmd::UpdateProfile&& change,
                                                      std::optional<uint64_t> expected_version);

// ---- password reset --------------------------------------------------------------
//
// A reset secret (random_secret(), 256 bits) reaches the account's owner only
// by mail; the log holds its hash (secret_hash()). It is good for one use,
// until config.reset_ttl_s after it was issued.

// Starts a password reset for the live, active account with `email` (any
// ASCII case) and returns at once: everything else runs on the background
// thread (Service::in_background), so a caller answers alike, and as fast,
// for a known and an unknown address. There, for a known account, the
// secret's hash is recorded (RequestPasswordReset) and the link, the
// configured base followed by the secret, is mailed to the account's
// address; a notice says where the mail went, or why it did not.
void request_password_reset(Service& service, std::string email);

// The base of reset links: config.reset_link_base, else the server's own
// address (Service::origin()) followed by "/reset-password?token=".
std::string reset_link_base(const Service& service);

// Completes a reset with the secret from the mail: checks the new password
// (InvalidArgument on "new_password"), hashes it on the blocking pool and
// submits CompletePasswordReset, which changes the password and ends every
// open session of the account in one append. A secret that is unknown,
// used or expired is InvalidArgument with Reason::kInvalidResetToken,
// answered before any hashing.
net::awaitable<Status> reset_password(Exchange& ex, std::string&& secret, std::string&& new_password);

}  // namespace almanac::api::auth
