#include "api/contracts/flowstate/auth.hpp"

#include "api/auth_flows.hpp"
#include "api/contracts/flowstate/models.hpp"
#include "api/handler.hpp"

namespace almanac::api::flowstate {

namespace {

struct UserLogin {
  std::string username_or_email, password;
};

struct UserUpdate {
  std::optional<std::string> username, email;
};

struct PasswordResetRequest {
  std::string email;
};

struct PasswordResetConfirm {
  std::string token, new_password;
};

// Registration words a taken name and a taken email alike.
constexpr ReasonAnswer kRegisterAnswers[] = {
    {Reason::kDuplicateUsername, http::status::conflict, "Username or email already exists"},
    {Reason::kDuplicateEmail, http::status::conflict, "Username or email already exists"},
};

const Model<PasswordResetRequest>& reset_request() {
  static const Model<PasswordResetRequest> m =
      Model<PasswordResetRequest>("PasswordResetRequest").field("email", &PasswordResetRequest::email, text());
  return m;
}

void checks_new_password(const PasswordResetConfirm& body, const Loc& base, std::vector<Problem>& problems) {
  auth::password_rule(body.new_password, base, problems, "new_password");
}

const Model<PasswordResetConfirm>& reset_confirm() {
  static const Model<PasswordResetConfirm> m =
      Model<PasswordResetConfirm>("PasswordResetConfirm")
          .field("token", &PasswordResetConfirm::token, text())
          .field("new_password", &PasswordResetConfirm::new_password, text())
          .rule(checks_new_password);
  return m;
}

const Model<auth::NewUser>& user_create() {
  static const Model<auth::NewUser> m =
      Model<auth::NewUser>("UserCreate")
          .field("username", &auth::NewUser::username, text())
          .field("email", &auth::NewUser::email, text())
          .field("password", &auth::NewUser::password, text())
          .rule(auth::checks_password);
  return m;
}

const Model<UserLogin>& user_login() {
  static const Model<UserLogin> m = Model<UserLogin>("UserLogin")
                                        .field("username_or_email", &UserLogin::username_or_email, text())
                                        .field("password", &UserLogin::password, text());
  return m;
}

const Model<UserUpdate>& user_update() {
  static const Model<UserUpdate> m = Model<UserUpdate>("UserUpdate")
                                         .field("username", &UserUpdate::username, text().nullable())
                                         .field("email", &UserUpdate::email, text().nullable());
  return m;
}

const Shape<proj::UserView>& user_response() {
  static const Shape<proj::UserView> s =
      Shape<proj::UserView>("UserResponse")
          .field("id", schema::string("uuid"), [](const proj::UserView& u) { return json(format_uuid(u.uuid)); })
          .field("username", schema::string(), [](const proj::UserView& u) { return json(u.username); })
          .field("email", schema::string("email"), [](const proj::UserView& u) { return json(u.email); });
  return s;
}

const Resource<proj::UserView>& me() {
  static const Resource<proj::UserView> r{
      user_response(), [](const Exchange& ex, int64_t id) { return ex.service.models().user(id); }, "User not found"};
  return r;
}

net::awaitable<Response> register_user(Exchange& ex) {
  Input in(ex);
  auth::NewUser user = in.body(user_create());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto created = co_await auth::register_user(ex, std::move(user));
  if (!created) co_return fail(ex, created.status(), kRegisterAnswers);
  co_return reply(ex, http::status::ok, user_response().render(*created));
}

net::awaitable<Response> login(Exchange& ex) {
  Input in(ex);
  UserLogin form = in.body(user_login());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto signed_in = co_await auth::login(ex, form.username_or_email, form.password);
  if (!signed_in) co_return fail(ex, signed_in.status());
  co_return reply(ex, http::status::ok, {{"access_token", signed_in->tokens.access}, {"token_type", "bearer"}});
}

net::awaitable<Response> get_me(Exchange& ex) { co_return show(ex, me(), ex.user().user_id); }

net::awaitable<Response> update_me(Exchange& ex) {
  Input in(ex);
  UserUpdate body = in.body(user_update());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto expected = if_match(ex);
  if (!expected) co_return fail(ex, expected.status());
  cmd::UpdateProfile change;
  if (body.username) {
    change.username = *body.username;
    change.fields |= user_field::kUsername;
  }
  if (body.email) {
    change.email = *body.email;
    change.fields |= user_field::kEmail;
  }
  auto updated = co_await auth::update_profile(ex, ex.user(), std::move(change), *expected);
  if (!updated) co_return fail(ex, updated.status());
  co_return show(ex, me(), *updated);
}

net::awaitable<Response> request_password_reset(Exchange& ex) {
  Input in(ex);
  PasswordResetRequest body = in.body(reset_request());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  // Known or not, the answer is the same and leaves at once: the lookup,
  // the token and the mail happen in the background.
  auth::request_password_reset(ex.service, std::move(body.email));
  co_return reply(ex, http::status::ok,
                  {{"message", "If a user with that email exists, a password reset link has been sent."}});
}

net::awaitable<Response> reset_password(Exchange& ex) {
  Input in(ex);
  PasswordResetConfirm body = in.body(reset_confirm());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  Status done = co_await auth::reset_password(ex, std::move(body.token), std::move(body.new_password));
  if (!done) co_return fail(ex, done);
  co_return reply(ex, http::status::ok, {{"message", "Password has been reset successfully."}});
}

}  // namespace

void add_auth_routes(Routes& routes) {
  routes.post("/users/register", register_user)
      .anyone()
      .auth_limit()
      .summary("Register a user (UserCreate -> UserResponse)")
      .body(user_create())
      .answers(200, user_response());
  routes.post("/users/login", login)
      .anyone()
      .auth_limit()
      .summary("Log in with username or email (UserLogin -> Token)")
      .body(user_login())
      .answers(200, json{{"title", "Token"},
                         {"type", "object"},
                         {"properties", {{"access_token", schema::string()}, {"token_type", schema::string()}}}});
  routes.post("/users/request-password-reset", request_password_reset)
      .anyone()
      .auth_limit()
      .summary("Mail a password-reset link (the same answer for every email)")
      .body(reset_request())
      .answers(200, message_schema());
  routes.post("/users/reset-password", reset_password)
      .anyone()
      .auth_limit()
      .summary("Set a new password with the token from the mail; ends every session of the account")
      .body(reset_confirm())
      .answers(200, message_schema());
  routes.get("/users/me", get_me).summary("The current user (ETag: the account's version)").answers(200, user_response());
  routes.put("/users/me", update_me)
      .summary("Update the current user (UserUpdate; If-Match honoured)")
      .body(user_update())
      .answers(200, user_response());
}

}  // namespace almanac::api::flowstate
