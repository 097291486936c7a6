#include "api/contracts/admin/auth.hpp"

#include "api/auth_flows.hpp"
#include "api/content.hpp"
#include "api/service.hpp"

namespace almanac::api::admin {

namespace {

Response detail(const Exchange& ex, http::status status, std::string message) {
  return render_error(Contract::kAdmin, ex.req, {status, "", std::move(message), {}, json::object()});
}

Response unprocessable(const Exchange& ex, std::vector<FieldError> fields) {
  return render_error(Contract::kAdmin, ex.req, validation_error(std::move(fields)));
}

// The document lists no 409: a taken username or email is a 400 with a detail.
Response failure(const Exchange& ex, const Status& st) {
  switch (st.code()) {
    case Code::kInvalidArgument: {
      std::string type = st.field() == "email" ? "value_error.email" : "value_error";
      return unprocessable(ex, {{{"body", st.field().empty() ? "body" : st.field()}, st.message(), type}});
    }
    case Code::kConflict:
      if (st.field() == "username") return detail(ex, http::status::bad_request, "Username already registered");
      if (st.field() == "email") return detail(ex, http::status::bad_request, "Email already registered");
      return detail(ex, http::status::conflict, st.message());
    case Code::kUnauthenticated:
      return detail(ex, http::status::unauthorized, "Incorrect username or password");
    case Code::kForbidden:
      return detail(ex, http::status::unauthorized, st.message());
    default:
      return render_error(Contract::kAdmin, ex.req, from_status(st));
  }
}

std::optional<Response> parse_object(const Exchange& ex, json& out) {
  Result<json> body = parse_body(ex.req);
  if (!body) return unprocessable(ex, {{{"body"}, "JSON decode error", "value_error.jsondecode"}});
  if (body->is_null()) return unprocessable(ex, {{{"body"}, "field required", "value_error.missing"}});
  if (!body->is_object()) return unprocessable(ex, {{{"body"}, "value is not a valid dict", "type_error.dict"}});
  out = std::move(body.value());
  return std::nullopt;
}

// This contract's wording of a missing or non-string field.
constexpr auth::FieldErrors kFieldErrors{
    [](const char* name) { return FieldError{{"body", name}, "field required", "value_error.missing"}; },
    [](const char* name) { return FieldError{{"body", name}, "str type expected", "type_error.str"}; }};

Response token_response(const Exchange& ex, const auth::Tokens& t) {
  return make_response(ex.req, http::status::ok, {{"access_token", t.access}, {"token_type", "bearer"}});
}

}  // namespace

net::awaitable<Response> register_user(Exchange& ex) {
  json body;
  if (auto refused = parse_object(ex, body)) co_return std::move(*refused);
  auth::NewUser user;
  std::vector<FieldError> errors;
  auth::read_strings(body, {{"email", &user.email}, {"username", &user.username}, {"password", &user.password}}, false, kFieldErrors, errors);
  auth::read_strings(body, {{"full_name", &user.full_name}}, true, kFieldErrors, errors);
  if (errors.empty())
    if (Status st = auth::check_password(user.password); !st)
      errors.push_back({{"body", "password"}, st.message(), "value_error"});
  if (!errors.empty()) co_return unprocessable(ex, std::move(errors));
  auto created = co_await auth::register_user(ex, std::move(user));
  if (!created) co_return failure(ex, created.status());
  // The answer is a signed-in session; a retried request (Idempotency-Key)
  // gets the same one.
  auto tokens = co_await auth::start_session(ex, *created, "#session");
  if (!tokens) co_return failure(ex, tokens.status());
  co_return token_response(ex, *tokens);
}

net::awaitable<Response> login(Exchange& ex) {
  json body;
  if (auto refused = parse_object(ex, body)) co_return std::move(*refused);
  std::string username, password;
  std::vector<FieldError> errors;
  auth::read_strings(body, {{"username", &username}, {"password", &password}}, false, kFieldErrors, errors);
  if (!errors.empty()) co_return unprocessable(ex, std::move(errors));
  auto signed_in = co_await auth::login(ex, username, password);
  if (!signed_in) co_return failure(ex, signed_in.status());
  co_return token_response(ex, signed_in->tokens);
}

RouteDoc register_doc() {
  return {"Register a user and sign in",
          auth::object_schema({{"email", "email"}, {"username", "string"}, {"password", "password"}, {"full_name", "string"}},
                              {"email", "username", "password"}),
          auth::object_schema({{"access_token", "string"}, {"token_type", "string"}}), 200, {}};
}

RouteDoc login_doc() {
  json request = auth::object_schema({{"username", "string"}, {"password", "password"}}, {"username", "password"});
  request["description"] = "JSON or application/x-www-form-urlencoded; username may be the email";
  return {"Log in", std::move(request), auth::object_schema({{"access_token", "string"}, {"token_type", "string"}}),
          200, {}};
}

}  // namespace almanac::api::admin
