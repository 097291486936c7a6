#include "api/contracts/collab/auth.hpp"

#include "api/auth_flows.hpp"
#include "api/content.hpp"
#include "api/service.hpp"
#include "api/time_format.hpp"

namespace almanac::api::collab {

namespace {

ApiError bad_request(std::string message, std::vector<FieldError> fields) {
  ApiError e;
  e.status = http::status::bad_request;
  e.code = "VALIDATION_ERROR";
  e.message = std::move(message);
  e.fields = std::move(fields);
  return e;
}

Response unauthorized(const Exchange& ex, std::string message) {
  ApiError e;
  e.status = http::status::unauthorized;
  e.code = "UNAUTHORIZED";
  e.message = std::move(message);
  return render_error(Contract::kCollab, ex.req, e);
}

// A flow's refusal in collab's shape: validation 400, taken names 409,
// credentials and tokens 401.
Response failure(const Exchange& ex, const Status& st) {
  switch (st.code()) {
    case Code::kInvalidArgument:
      return render_error(Contract::kCollab, ex.req,
                          bad_request("Validation error", {{{"body", st.field()}, st.message(), "value_error"}}));
    case Code::kConflict: {
      ApiError e;
      e.status = http::status::conflict;
      e.code = "CONFLICT";
      e.message = st.message();
      if (!st.field().empty()) e.fields.push_back({{"body", st.field()}, st.message(), "conflict"});
      return render_error(Contract::kCollab, ex.req, e);
    }
    case Code::kUnauthenticated:
    case Code::kForbidden:
      return unauthorized(ex, st.message());
    default:
      return render_error(Contract::kCollab, ex.req, from_status(st));
  }
}

// The body as an object, or the 400 to answer.
std::optional<Response> parse_object(const Exchange& ex, json& out) {
  Result<json> body = parse_body(ex.req);
  if (!body)
    return render_error(Contract::kCollab, ex.req,
                        bad_request("Invalid request body", {{{"body", "body"}, body.status().message(), "json_invalid"}}));
  if (!body->is_object())
    return render_error(Contract::kCollab, ex.req,
                        bad_request("Invalid request body", {{{"body", "body"}, "Input should be an object", "model_type"}}));
  out = std::move(body.value());
  return std::nullopt;
}

// Reads the required string fields, collecting one error per bad field.
std::vector<FieldError> read_required(const json& body, std::initializer_list<std::pair<const char*, std::string*>> fields) {
  std::vector<FieldError> errors;
  for (const auto& [name, out] : fields) {
    switch (auth::read_string(body, name, *out)) {
      case auth::FieldRead::kOk: break;
      case auth::FieldRead::kMissing: errors.push_back({{"body", name}, "Field required", "missing"}); break;
      case auth::FieldRead::kWrongType:
        errors.push_back({{"body", name}, "Input should be a valid string", "string_type"});
        break;
    }
  }
  return errors;
}

std::string_view bearer(const Request& req) {
  std::string_view h = req[http::field::authorization];
  if (h.size() > 7 && (h.substr(0, 7) == "Bearer " || h.substr(0, 7) == "bearer ")) return h.substr(7);
  return {};
}

}  // namespace

net::awaitable<Response> register_user(Exchange& ex) {
  json body;
  if (auto refused = parse_object(ex, body)) co_return std::move(*refused);
  auth::NewUser user;
  auto errors = read_required(body, {{"email", &user.email}, {"password", &user.password}, {"username", &user.username}});
  if (errors.empty())
    if (Status st = auth::check_password(user.password); !st)
      errors.push_back({{"body", "password"}, st.message(), "value_error"});
  if (!errors.empty())
    co_return render_error(Contract::kCollab, ex.req, bad_request("Validation error", std::move(errors)));
  auto created = co_await auth::register_user(ex, std::move(user));
  if (!created) co_return failure(ex, created.status());
  co_return make_response(ex.req, http::status::created,
                          {{"id", created->id},
                           {"email", created->email},
                           {"username", created->username},
                           {"created_at", format_utc(created->created_at)}});
}

net::awaitable<Response> login(Exchange& ex) {
  json body;
  if (auto refused = parse_object(ex, body)) co_return std::move(*refused);
  std::string username, password;
  auto errors = read_required(body, {{"username", &username}, {"password", &password}});
  if (!errors.empty())
    co_return render_error(Contract::kCollab, ex.req, bad_request("Validation error", std::move(errors)));
  auto signed_in = co_await auth::login(ex, username, password);
  if (!signed_in) co_return failure(ex, signed_in.status());
  co_return make_response(ex.req, http::status::ok,
                          {{"access_token", signed_in->tokens.access},
                           {"refresh_token", signed_in->tokens.refresh},
                           {"token_type", "bearer"}});
}

net::awaitable<Response> refresh(Exchange& ex) {
  std::string_view token = bearer(ex.req);
  if (token.empty()) co_return unauthorized(ex, "Not authenticated");
  // collab's answer carries no refresh token, so its clients keep the one
  // they have: refresh without rotating it.
  auto tokens = co_await auth::refresh(ex, token, auth::RefreshMode::kKeep);
  if (!tokens) co_return failure(ex, tokens.status());
  co_return make_response(ex.req, http::status::ok, {{"access_token", tokens->access}, {"token_type", "bearer"}});
}

net::awaitable<Response> logout(Exchange& ex) {
  auto who = ex.service.authenticate(ex);
  if (!who) co_return unauthorized(ex, who.status().message());
  if (Status st = co_await auth::logout(ex, *who); !st) co_return failure(ex, st);
  co_return make_empty(ex.req, http::status::no_content);
}

RouteDoc register_doc() {
  return {"Register a user",
          auth::object_schema({{"email", "email"}, {"password", "password"}, {"username", "string"}},
                              {"email", "password", "username"}),
          auth::object_schema({{"id", "integer"}, {"email", "email"}, {"username", "string"}, {"created_at", "date-time"}}),
          201,
          {}};
}

RouteDoc login_doc() {
  json request = auth::object_schema({{"username", "string"}, {"password", "password"}}, {"username", "password"});
  request["description"] = "application/x-www-form-urlencoded; username may be the email";
  return {"Log in (form)", std::move(request),
          auth::object_schema({{"access_token", "string"}, {"refresh_token", "string"}, {"token_type", "string"}}),
          200,
          {}};
}

RouteDoc refresh_doc() {
  return {"A new access token for the refresh token given as bearer", nullptr,
          auth::object_schema({{"access_token", "string"}, {"token_type", "string"}}), 200, {}};
}

RouteDoc logout_doc() { return {"End the session of the bearer access token", nullptr, nullptr, 204, {}}; }

}  // namespace almanac::api::collab
