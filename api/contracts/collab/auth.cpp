#include "api/contracts/collab/auth.hpp"

#include "api/auth_flows.hpp"
#include "api/handler.hpp"
#include "api/time_format.hpp"

namespace almanac::api::collab {

namespace {

const Model<auth::NewUser>& registration() {
  static const Model<auth::NewUser> m =
      Model<auth::NewUser>("UserCreate")
          .field("email", &auth::NewUser::email, text())
          .field("password", &auth::NewUser::password, text())
          .field("username", &auth::NewUser::username, text())
          .rule(auth::checks_password);
  return m;
}

const Shape<proj::UserView>& registered() {
  static const Shape<proj::UserView> s =
      Shape<proj::UserView>("User")
          .field("id", schema::integer(), [](const proj::UserView& u) { return json(u.id); })
          .field("email", schema::string("email"), [](const proj::UserView& u) { return json(u.email); })
          .field("username", schema::string(), [](const proj::UserView& u) { return json(u.username); })
          .field("created_at", schema::string("date-time"),
                 [](const proj::UserView& u) { return json(format_utc(u.created_at)); });
  return s;
}

json token_schema() {
  return {{"title", "Token"},
          {"type", "object"},
          {"properties",
           {{"access_token", schema::string()}, {"refresh_token", schema::string()}, {"token_type", schema::string()}}}};
}

net::awaitable<Response> register_user(Exchange& ex) {
  Input in(ex);
  auth::NewUser user = in.body(registration());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto created = co_await auth::register_user(ex, std::move(user));
  if (!created) co_return fail(ex, created.status());
  co_return reply(ex, http::status::created, registered().render(*created));
}

net::awaitable<Response> login(Exchange& ex) {
  Input in(ex);
  auth::LoginForm form = in.body(auth::login_form());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto signed_in = co_await auth::login(ex, form.username, form.password);
  if (!signed_in) co_return fail(ex, signed_in.status());
  co_return reply(ex, http::status::ok,
                  {{"access_token", signed_in->tokens.access},
                   {"refresh_token", signed_in->tokens.refresh},
                   {"token_type", "bearer"}});
}

// The document sends the refresh token as the bearer token. The refresh
// rotates: the answer carries a new refresh token beside the access token
// (as the service this document comes from does), the one presented stops
// working, and presenting it again revokes the whole session.
net::awaitable<Response> refresh(Exchange& ex) {
  const Credentials bearer = bearer_credentials(ex.req);
  if (bearer.kind != Credentials::kBearer)
    co_return refuse(ex, ex.dialect().unauthenticated(AuthFailure::kMissing, Status::ok()));
  const std::string token(bearer.token);
  auto tokens = co_await auth::refresh(ex, token);
  if (!tokens) co_return fail(ex, tokens.status());
  co_return reply(ex, http::status::ok,
                  {{"access_token", tokens->access}, {"refresh_token", tokens->refresh}, {"token_type", "bearer"}});
}

net::awaitable<Response> logout(Exchange& ex) {
  if (Status st = co_await auth::logout(ex, ex.user()); !st) co_return fail(ex, st);
  co_return reply_empty(ex);
}

}  // namespace

void add_auth_routes(Routes& routes) {
  routes.post("/api/auth/register", register_user)
      .anyone()
      .auth_limit()
      .summary("Register a user")
      .body(registration())
      .answers(201, registered());
  routes.post("/api/auth/login", login)
      .anyone()
      .auth_limit()
      .form()
      .summary("Log in (form; username may be the email)")
      .body(auth::login_form())
      .answers(200, token_schema());
  routes.post("/api/auth/refresh", refresh)
      .anyone()
      .auth_limit()
      .summary("New tokens for the refresh token given as bearer (rotates it)")
      .answers(200, token_schema());
  routes.post("/api/auth/logout", logout)
      .auth_limit()
      .summary("End the session of the bearer access token")
      .answers(204);
}

}  // namespace almanac::api::collab
