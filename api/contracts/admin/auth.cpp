#include "api/contracts/admin/auth.hpp"

#include "api/auth_flows.hpp"
#include "api/handler.hpp"

namespace almanac::api::admin {

namespace {

const Model<auth::NewUser>& user_create() {
  static const Model<auth::NewUser> m =
      Model<auth::NewUser>("UserCreate")
          .field("email", &auth::NewUser::email, email())
          .field("username", &auth::NewUser::username, text())
          .field("password", &auth::NewUser::password, text())
          .field("full_name", &auth::NewUser::full_name, text().nullable())
          .rule(auth::checks_password);
  return m;
}

json token_schema() {
  return {{"title", "Token"},
          {"type", "object"},
          {"properties", {{"access_token", schema::string()}, {"token_type", schema::string()}}}};
}

Response token_response(const Exchange& ex, const auth::Tokens& t) {
  return reply(ex, http::status::ok, {{"access_token", t.access}, {"token_type", "bearer"}});
}

net::awaitable<Response> register_user(Exchange& ex) {
  Input in(ex);
  auth::NewUser user = in.body(user_create());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto created = co_await auth::register_user(ex, std::move(user));
  if (!created) co_return fail(ex, created.status());
  // The answer is a signed-in session; a retried request (Idempotency-Key)
  // gets the same one.
  auto tokens = co_await auth::start_session(ex, *created, "#session");
  if (!tokens) co_return fail(ex, tokens.status());
  co_return token_response(ex, *tokens);
}

net::awaitable<Response> login(Exchange& ex) {
  Input in(ex);
  auth::LoginForm form = in.body(auth::login_form());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto signed_in = co_await auth::login(ex, form.username, form.password);
  if (!signed_in) co_return fail(ex, signed_in.status());
  co_return token_response(ex, signed_in->tokens);
}

}  // namespace

void add_auth_routes(Routes& routes) {
  routes.post("/api/v1/auth/register", register_user)
      .anyone()
      .auth_limit()
      .summary("Register a user and sign in")
      .body(user_create())
      .answers(200, token_schema());
  routes.post("/api/v1/auth/login", login)
      .anyone()
      .auth_limit()
      .form()
      .summary("Log in (JSON or form; username may be the email)")
      .body(auth::login_form())
      .answers(200, token_schema());
}

}  // namespace almanac::api::admin
