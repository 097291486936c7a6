#include "api/contracts/gather/auth.hpp"

#include "api/auth_flows.hpp"
#include "api/content.hpp"
#include "api/service.hpp"
#include "api/time_format.hpp"

namespace almanac::api::gather {

namespace {

constexpr const char* kRequired = "This field is required.";

Response error(const Exchange& ex, http::status status, std::string code, std::string message,
               std::vector<FieldError> fields = {}) {
  return render_error(Contract::kGather, ex.req, {status, std::move(code), std::move(message), std::move(fields), json::object()});
}

FieldError field(std::string name, std::string message) { return {{"body", std::move(name)}, std::move(message), ""}; }

Response invalid_input(const Exchange& ex, std::vector<FieldError> fields) {
  return error(ex, http::status::bad_request, "validation_error", "Invalid input.", std::move(fields));
}

Response failure(const Exchange& ex, const Status& st) {
  switch (st.code()) {
    case Code::kInvalidArgument:
      return invalid_input(ex, {field(st.field().empty() ? "non_field_errors" : st.field(), st.message())});
    case Code::kConflict:
      if (st.field() == "If-Match")
        return error(ex, http::status::precondition_failed, "precondition_failed",
                     "The profile was modified since the ETag given in If-Match.");
      if (st.field() == "username")
        return error(ex, http::status::conflict, "conflict", st.message(),
                     {field("username", "A user with that username already exists.")});
      if (st.field() == "email")
        return error(ex, http::status::conflict, "conflict", st.message(),
                     {field("email", "A user with that email already exists.")});
      return error(ex, http::status::conflict, "conflict", st.message());
    case Code::kForbidden:
      return error(ex, http::status::unauthorized, "account_disabled", "User account is disabled.");
    case Code::kUnauthenticated:
      return error(ex, http::status::unauthorized, "token_not_valid", st.message());
    default:
      return render_error(Contract::kGather, ex.req, from_status(st));
  }
}

std::optional<Response> parse_object(const Exchange& ex, json& out) {
  Result<json> body = parse_body(ex.req);
  if (!body) return error(ex, http::status::bad_request, "parse_error", "Malformed request body: " + body.status().message());
  if (body->is_null()) body = json::object();
  if (!body->is_object())
    return invalid_input(ex, {field("non_field_errors", "Invalid data. Expected a dictionary.")});
  out = std::move(body.value());
  return std::nullopt;
}

// This contract's wording of a missing or non-string field.
constexpr auth::FieldErrors kFieldErrors{[](const char* name) { return field(name, kRequired); },
                                         [](const char* name) { return field(name, "Not a valid string."); }};

json user_summary(const proj::UserView& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"email", u.email},
          {"first_name", u.first_name},
          {"last_name", u.last_name}};
}

json profile(const proj::UserView& u, bool with_last_login) {
  json p = user_summary(u);
  p["bio"] = u.bio;
  p["avatar"] = u.avatar.empty() ? json(nullptr) : json(u.avatar);
  p["date_joined"] = format_utc(u.created_at);
  if (with_last_login) p["last_login"] = u.last_login ? json(format_utc(*u.last_login)) : json(nullptr);
  return p;
}

std::optional<Response> authenticate(Exchange& ex, Principal& who) {
  auto p = ex.service.authenticate(ex);
  if (p) {
    who = *p;
    return std::nullopt;
  }
  if (p.status().message() == "Not authenticated")
    return error(ex, http::status::unauthorized, "not_authenticated", "Authentication credentials were not provided.");
  return error(ex, http::status::unauthorized, "token_not_valid", "Given token not valid for any token type");
}

}  // namespace

net::awaitable<Response> register_user(Exchange& ex) {
  json body;
  if (auto refused = parse_object(ex, body)) co_return std::move(*refused);
  auth::NewUser user;
  std::vector<FieldError> errors;
  auth::read_strings(body, {{"username", &user.username}, {"email", &user.email}, {"password", &user.password}}, false, kFieldErrors, errors);
  auth::read_strings(body, {{"first_name", &user.first_name}, {"last_name", &user.last_name}}, true, kFieldErrors, errors);
  if (errors.empty())
    if (Status st = auth::check_password(user.password); !st) errors.push_back(field("password", st.message()));
  if (!errors.empty()) co_return invalid_input(ex, std::move(errors));
  auto created = co_await auth::register_user(ex, std::move(user));
  if (!created) co_return failure(ex, created.status());
  auto tokens = co_await auth::start_session(ex, *created, "#session");
  if (!tokens) co_return failure(ex, tokens.status());
  json u = user_summary(*created);
  u["date_joined"] = format_utc(created->created_at);
  co_return make_response(ex.req, http::status::created,
                          {{"access", tokens->access}, {"refresh", tokens->refresh}, {"user", std::move(u)}});
}

net::awaitable<Response> login(Exchange& ex) {
  json body;
  if (auto refused = parse_object(ex, body)) co_return std::move(*refused);
  std::string username, password;
  std::vector<FieldError> errors;
  auth::read_strings(body, {{"username", &username}, {"password", &password}}, false, kFieldErrors, errors);
  if (!errors.empty()) co_return invalid_input(ex, std::move(errors));
  auto signed_in = co_await auth::login(ex, username, password);
  if (!signed_in) {
    if (signed_in.status().message() == auth::kInvalidCredentials)
      co_return error(ex, http::status::bad_request, "invalid_credentials", "Invalid credentials",
                      {field("non_field_errors", "Unable to log in with provided credentials.")});
    co_return failure(ex, signed_in.status());
  }
  co_return make_response(ex.req, http::status::ok,
                          {{"access", signed_in->tokens.access},
                           {"refresh", signed_in->tokens.refresh},
                           {"user", user_summary(signed_in->user)}});
}

namespace {

// The refresh token a body names ({"refresh": "..."}), or the refusal.
std::optional<Response> refresh_token_of(const Exchange& ex, std::string& token) {
  json body;
  if (auto refused = parse_object(ex, body)) return refused;
  std::vector<FieldError> errors;
  auth::read_strings(body, {{"refresh", &token}}, false, kFieldErrors, errors);
  if (!errors.empty()) return invalid_input(ex, std::move(errors));
  return std::nullopt;
}

}  // namespace

net::awaitable<Response> refresh(Exchange& ex) {
  std::string token;
  if (auto refused = refresh_token_of(ex, token)) co_return std::move(*refused);
  auto tokens = co_await auth::refresh(ex, token, auth::RefreshMode::kRotate);
  if (!tokens) co_return failure(ex, tokens.status());
  co_return make_response(ex.req, http::status::ok, {{"access", tokens->access}, {"refresh", tokens->refresh}});
}

net::awaitable<Response> logout(Exchange& ex) {
  Principal who;
  if (auto refused = authenticate(ex, who)) co_return std::move(*refused);
  std::string token;
  if (auto refused = refresh_token_of(ex, token)) co_return std::move(*refused);
  if (Status st = co_await auth::logout_refresh(ex, who, token); !st) {
    if (st.code() == Code::kInvalidArgument)
      co_return error(ex, http::status::bad_request, "token_not_valid", st.message(), {field("refresh", st.message())});
    co_return failure(ex, st);
  }
  co_return make_response(ex.req, http::status::ok, {{"message", "Successfully logged out"}});
}

net::awaitable<Response> get_profile(Exchange& ex) {
  Principal who;
  if (auto refused = authenticate(ex, who)) co_return std::move(*refused);
  auto user = ex.service.models().user(who.user_id);
  if (!user) co_return error(ex, http::status::unauthorized, "token_not_valid", "User no longer exists");
  co_return auth::with_user_etag(ex, make_response(ex.req, http::status::ok, profile(*user, true)), who.user_id);
}

net::awaitable<Response> update_profile(Exchange& ex) {
  Principal who;
  if (auto refused = authenticate(ex, who)) co_return std::move(*refused);
  auto expected = if_match(ex);
  if (!expected)
    co_return error(ex, http::status::precondition_failed, "precondition_failed", expected.status().message());
  json body;
  if (auto refused = parse_object(ex, body)) co_return std::move(*refused);
  cmd::UpdateProfile change;
  std::vector<FieldError> errors;
  std::vector<bool> present;
  auth::read_strings(body,
                     {{"first_name", &change.first_name}, {"last_name", &change.last_name}, {"bio", &change.bio},
                      {"avatar", &change.avatar}},
                     true, kFieldErrors, errors, &present);
  if (!errors.empty()) co_return invalid_input(ex, std::move(errors));
  const uint32_t bits[] = {user_field::kFirstName, user_field::kLastName, user_field::kBio, user_field::kAvatar};
  for (size_t i = 0; i < present.size(); ++i)
    if (present[i]) change.fields |= bits[i];
  auto updated = co_await auth::update_profile(ex, who, std::move(change), *expected);
  if (!updated) co_return failure(ex, updated.status());
  co_return auth::with_user_etag(ex, make_response(ex.req, http::status::ok, profile(*updated, false)), who.user_id);
}

namespace {

json user_schema(bool with_date_joined) {
  json s = auth::object_schema({{"id", "integer"}, {"username", "string"}, {"email", "email"}, {"first_name", "string"},
                                {"last_name", "string"}});
  if (with_date_joined) s["properties"]["date_joined"] = {{"type", "string"}, {"format", "date-time"}};
  return s;
}

json profile_schema(bool with_last_login) {
  json s = user_schema(true);
  s["properties"]["bio"] = {{"type", "string"}};
  s["properties"]["avatar"] = {{"type", {"string", "null"}}};
  if (with_last_login) s["properties"]["last_login"] = {{"type", {"string", "null"}}, {"format", "date-time"}};
  return s;
}

json session_schema(bool with_date_joined) {
  json s = auth::object_schema({{"access", "string"}, {"refresh", "string"}});
  s["properties"]["user"] = user_schema(with_date_joined);
  return s;
}

}  // namespace

RouteDoc register_doc() {
  return {"Register a user and sign in",
          auth::object_schema({{"username", "string"}, {"email", "email"}, {"password", "password"}, {"first_name", "string"},
                               {"last_name", "string"}},
                              {"username", "email", "password"}),
          session_schema(true), 201, {}};
}

RouteDoc login_doc() {
  return {"Log in (username may be the email)",
          auth::object_schema({{"username", "string"}, {"password", "password"}}, {"username", "password"}),
          session_schema(false), 200, {}};
}

RouteDoc refresh_doc() {
  return {"Rotate a refresh token", auth::object_schema({{"refresh", "string"}}, {"refresh"}),
          auth::object_schema({{"access", "string"}, {"refresh", "string"}}), 200, {}};
}

RouteDoc logout_doc() {
  return {"End the session of a refresh token", auth::object_schema({{"refresh", "string"}}, {"refresh"}),
          auth::object_schema({{"message", "string"}}), 200, {}};
}

RouteDoc get_profile_doc() { return {"The current user's profile (ETag)", nullptr, profile_schema(true), 200, {}}; }

RouteDoc update_profile_doc() {
  return {"Update the current user's profile (If-Match honoured)",
          auth::object_schema({{"first_name", "string"}, {"last_name", "string"}, {"bio", "string"}, {"avatar", "string"}}),
          profile_schema(false), 200, {}};
}

}  // namespace almanac::api::gather
