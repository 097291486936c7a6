// The authentication flows every contract shares, written once over the one
// identity: register, login, session tokens, refresh (rotating or not),
// logout and profile changes. Contract modules (api/contracts/<name>/auth.*)
// only parse requests into these calls and render what comes back in their
// own shapes; docs/contracts/auth.md records the decisions behind them.
//
// Outcomes are Status codes a contract maps to its own statuses:
//   InvalidArgument  input the domain refuses (field() names it)
//   Conflict         username or email taken (field() "username" / "email"),
//                    an Idempotency-Key reused for another request
//                    (field() "Idempotency-Key"), or a stale If-Match
//                    (field() "If-Match")
//   Unauthenticated  wrong credentials, a bad / expired / reused token
//   Forbidden        the account is disabled (after a correct password only)
//   Unavailable, Internal  the server could not do it
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <optional>
#include <string>
#include <string_view>

#include "api/errors.hpp"
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

// The message login failures carry, whatever went wrong (unknown user or
// wrong password), so that an answer never reveals which usernames exist.
inline constexpr const char* kInvalidCredentials = "Invalid credentials";

// What a contract gathered from a registration form.
struct NewUser {
  std::string username, email, password;
  std::string first_name, last_name, full_name;
};

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

enum class RefreshMode {
  // A new refresh token replaces the presented one (RefreshSession); the
  // presented one becomes a reused token that revokes the session.
  kRotate,
  // For clients that keep their refresh token: the presented token must be
  // the session's current one and stays so; only an access token is issued.
  // A rotated-out token is still reuse and revokes the session.
  kKeep,
};

// Issues tokens for the session of a refresh token. Unauthenticated when the
// token is invalid, expired, of another kind, its session ended, or reused.
// With kKeep, Tokens::refresh is the presented token.
net::awaitable<Result<Tokens>> refresh(Exchange& ex, std::string_view refresh_token, RefreshMode mode);

// Ends the caller's session (EndSession): its access and refresh tokens stop
// working at once.
net::awaitable<Status> logout(Exchange& ex, const Principal& who);

// Ends the session a refresh token belongs to, which must be the caller's
// (InvalidArgument on field "refresh" otherwise, or when the token is invalid).
net::awaitable<Status> logout_refresh(Exchange& ex, const Principal& who, std::string_view refresh_token);

// Applies a profile change to the caller's account (no change when
// `change.fields` is empty). `expected_version` is the If-Match version.
net::awaitable<Result<proj::UserView>> update_profile(Exchange& ex, const Principal& who,
                                                      cmd::UpdateProfile&& change,
                                                      std::optional<uint64_t> expected_version);

// The version of a user's stream: the ETag of the account.
uint64_t user_version(Service& service, int64_t user_id);

// `res` with the user's ETag (their stream version).
Response with_user_etag(Exchange& ex, Response res, int64_t user_id);

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower-case hex.
std::string format_uuid(const ev::Uuid& uuid);

// Reading one member of a request body.
enum class FieldRead { kOk, kMissing, kWrongType };
// Copies body[name] into `out` when it is a string. kMissing when the body is
// not an object or the member is absent or null; kWrongType otherwise.
FieldRead read_string(const json& body, std::string_view name, std::string& out);

// How a contract words the error for a string field that is missing, or that
// is there but not a string.
struct FieldErrors {
  FieldError (*missing)(const char* name);
  FieldError (*wrong_type)(const char* name);
};
// Reads the string `fields` of `body`. Each is required, or with `optional`
// may be absent or null; a problem appends the contract's error to `errors`.
// `present` (when given) records, in order, which fields were there.
void read_strings(const json& body, std::initializer_list<std::pair<const char*, std::string*>> fields,
                  bool optional, const FieldErrors& wording, std::vector<FieldError>& errors,
                  std::vector<bool>* present = nullptr);

// A JSON Schema object for route documentation: `properties` pairs a name with
// a type ("string", "integer", "boolean") or a string format ("email",
// "uuid", "date-time", "password"); `required` lists the mandatory ones.
json object_schema(std::initializer_list<std::pair<const char*, const char*>> properties,
                   std::initializer_list<const char*> required = {});

}  // namespace almanac::api::auth
