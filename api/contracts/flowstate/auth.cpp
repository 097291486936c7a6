#include "api/contracts/flowstate/auth.hpp"

#include "api/auth_flows.hpp"
#include "api/content.hpp"
#include "api/service.hpp"

namespace almanac::api::flowstate {

namespace {

Response detail(const Exchange& ex, http::status status, std::string message) {
  return render_error(Contract::kFlowstate, ex.req, {status, "", std::move(message), {}, json::object()});
}

Response unprocessable(const Exchange& ex, std::vector<FieldError> fields) {
  return render_error(Contract::kFlowstate, ex.req, validation_error(std::move(fields)));
}

Response failure(const Exchange& ex, const Status& st) {
  switch (st.code()) {
    case Code::kInvalidArgument:
      return unprocessable(ex, {{{"body", st.field().empty() ? "body" : st.field()}, st.message(), "value_error"}});
    case Code::kConflict:
      if (st.field() == "If-Match") return detail(ex, http::status::precondition_failed, "Precondition Failed");
      return detail(ex, http::status::conflict, st.message());
    case Code::kUnauthenticated:
    case Code::kForbidden:
      return detail(ex, http::status::unauthorized, st.message());
    default:
      return render_error(Contract::kFlowstate, ex.req, from_status(st));
  }
}

std::optional<Response> parse_object(const Exchange& ex, json& out) {
  Result<json> body = parse_body(ex.req);
  if (!body) return unprocessable(ex, {{{"body"}, "JSON decode error", "json_invalid"}});
  if (body->is_null()) return unprocessable(ex, {{{"body"}, "Field required", "missing"}});
  if (!body->is_object()) return unprocessable(ex, {{{"body"}, "Input should be a valid dictionary", "model_attributes_type"}});
  out = std::move(body.value());
  return std::nullopt;
}

// This contract's wording of a missing or non-string field.
constexpr auth::FieldErrors kFieldErrors{
    [](const char* name) { return FieldError{{"body", name}, "Field required", "missing"}; },
    [](const char* name) { return FieldError{{"body", name}, "Input should be a valid string", "string_type"}; }};

json user_response(const proj::UserView& u) {
  return {{"id", auth::format_uuid(u.uuid)}, {"username", u.username}, {"email", u.email}};
}

// FastAPI's HTTPBearer: 403 without credentials, 401 for bad ones.
std::optional<Response> authenticate(Exchange& ex, Principal& who) {
  std::string_view header = ex.req[http::field::authorization];
  if (header.empty()) return detail(ex, http::status::forbidden, "Not authenticated");
  if (header.size() <= 7 || (header.substr(0, 7) != "Bearer " && header.substr(0, 7) != "bearer "))
    return detail(ex, http::status::forbidden, "Invalid authentication credentials");
  auto p = ex.service.authenticate(ex);
  if (!p) return detail(ex, http::status::unauthorized, "Could not validate credentials");
  who = *p;
  return std::nullopt;
}

}  // namespace

net::awaitable<Response> register_user(Exchange& ex) {
  json body;
  if (auto refused = parse_object(ex, body)) co_return std::move(*refused);
  auth::NewUser user;
  std::vector<FieldError> errors;
  auth::read_strings(body, {{"username", &user.username}, {"email", &user.email}, {"password", &user.password}}, false, kFieldErrors, errors);
  if (errors.empty())
    if (Status st = auth::check_password(user.password); !st)
      errors.push_back({{"body", "password"}, st.message(), "value_error"});
  if (!errors.empty()) co_return unprocessable(ex, std::move(errors));
  auto created = co_await auth::register_user(ex, std::move(user));
  if (!created) co_return failure(ex, created.status());
  co_return make_response(ex.req, http::status::ok, user_response(*created));
}

net::awaitable<Response> login(Exchange& ex) {
  json body;
  if (auto refused = parse_object(ex, body)) co_return std::move(*refused);
  std::string login, password;
  std::vector<FieldError> errors;
  auth::read_strings(body, {{"username_or_email", &login}, {"password", &password}}, false, kFieldErrors, errors);
  if (!errors.empty()) co_return unprocessable(ex, std::move(errors));
  auto signed_in = co_await auth::login(ex, login, password);
  if (!signed_in) {
    if (signed_in.status().message() == auth::kInvalidCredentials)
      co_return detail(ex, http::status::unauthorized, "Incorrect username or password");
    co_return failure(ex, signed_in.status());
  }
  co_return make_response(ex.req, http::status::ok,
                          {{"access_token", signed_in->tokens.access}, {"token_type", "bearer"}});
}

net::awaitable<Response> get_me(Exchange& ex) {
  Principal who;
  if (auto refused = authenticate(ex, who)) co_return std::move(*refused);
  auto user = ex.service.models().user(who.user_id);
  if (!user) co_return detail(ex, http::status::unauthorized, "Could not validate credentials");
  co_return auth::with_user_etag(ex, make_response(ex.req, http::status::ok, user_response(*user)), who.user_id);
}

net::awaitable<Response> update_me(Exchange& ex) {
  Principal who;
  if (auto refused = authenticate(ex, who)) co_return std::move(*refused);
  auto expected = if_match(ex);
  if (!expected) co_return detail(ex, http::status::precondition_failed, "Precondition Failed");
  json body;
  if (auto refused = parse_object(ex, body)) co_return std::move(*refused);
  cmd::UpdateProfile change;
  std::vector<FieldError> errors;
  std::vector<bool> present;
  auth::read_strings(body, {{"username", &change.username}, {"email", &change.email}}, true, kFieldErrors, errors, &present);
  if (!errors.empty()) co_return unprocessable(ex, std::move(errors));
  if (present[0]) change.fields |= user_field::kUsername;
  if (present[1]) change.fields |= user_field::kEmail;
  auto updated = co_await auth::update_profile(ex, who, std::move(change), *expected);
  if (!updated) co_return failure(ex, updated.status());
  co_return auth::with_user_etag(ex, make_response(ex.req, http::status::ok, user_response(*updated)), who.user_id);
}

RouteDoc register_doc() {
  return {"Register a user (UserCreate -> UserResponse)",
          auth::object_schema({{"username", "string"}, {"email", "email"}, {"password", "password"}},
                              {"username", "email", "password"}),
          auth::object_schema({{"id", "uuid"}, {"username", "string"}, {"email", "email"}}), 200, {}};
}

RouteDoc login_doc() {
  return {"Log in with username or email (UserLogin -> Token)",
          auth::object_schema({{"username_or_email", "string"}, {"password", "password"}},
                              {"username_or_email", "password"}),
          auth::object_schema({{"access_token", "string"}, {"token_type", "string"}}), 200, {}};
}

RouteDoc get_me_doc() {
  return {"The current user (ETag: the account's version)", nullptr,
          auth::object_schema({{"id", "uuid"}, {"username", "string"}, {"email", "email"}}), 200, {}};
}

RouteDoc update_me_doc() {
  return {"Update the current user (UserUpdate; If-Match honoured)",
          auth::object_schema({{"username", "string"}, {"email", "email"}}),
          auth::object_schema({{"id", "uuid"}, {"username", "string"}, {"email", "email"}}), 200, {}};
}

}  // namespace almanac::api::flowstate
