#include "api/contracts/admin/users.hpp"

#include "api/auth_flows.hpp"
#include "api/handler.hpp"

namespace almanac::api::admin {

namespace {

using User = proj::UserView;

// ---- fields ---------------------------------------------------------------------

const Spec<int64_t>& user_id_param() {
  static const Spec<int64_t> s = integer().greater_than(0);
  return s;
}

const Spec<int64_t>& skip_param() {
  static const Spec<int64_t> s = integer().at_least(0).optional(0).describe("Accounts to skip, in id order");
  return s;
}

const Spec<int64_t>& limit_param() {
  static const Spec<int64_t> s = integer().at_least(0).at_most(1000).optional(100).describe("At most this many");
  return s;
}

// Null reads as absent for every field but full_name, whose null clears it:
// clients generated from the schema send null for what they leave unset.
struct UserUpdate {
  std::optional<std::string> email, username, password;
  Patch<std::string> full_name;
  std::optional<bool> is_active, is_superuser;
};

const Model<UserUpdate>& user_update() {
  static const Model<UserUpdate> m =
      Model<UserUpdate>("UserUpdate")
          .field("email", &UserUpdate::email, email().nullable())
          .field("username", &UserUpdate::username, text().nullable())
          .field("full_name", &UserUpdate::full_name, text().nullable())
          .field("password", &UserUpdate::password, text().nullable())
          .field("is_active", &UserUpdate::is_active, boolean().nullable().describe("Superusers only"))
          .field("is_superuser", &UserUpdate::is_superuser, boolean().nullable().describe("Superusers only"))
          .rule([](const UserUpdate& u, const Loc& base, std::vector<Problem>& problems) {
            if (u.password) auth::password_rule(*u.password, base, problems);
          });
  return m;
}

const Shape<User>& user_shape() {
  static const Shape<User> s =
      Shape<User>("User")
          .field("id", schema::integer(), [](const User& u) { return json(u.id); })
          .field("email", schema::string("email"), [](const User& u) { return json(u.email); })
          .field("username", schema::string(), [](const User& u) { return json(u.username); })
          .field("full_name", schema::nullable(schema::string()),
                 [](const User& u) { return u.full_name.empty() ? json(nullptr) : json(u.full_name); })
          .field("is_active", schema::boolean(), [](const User& u) { return json(u.is_active); })
          .field("is_superuser", schema::boolean(), [](const User& u) { return json(u.is_superuser); })
          .field("created_at", schema::string("date-time"), [](const User& u) { return json(format_utc(u.created_at)); })
          .field("updated_at", schema::string("date-time"), [](const User& u) { return json(format_utc(u.updated_at)); });
  return s;
}

json message_schema() {
  return {{"title", "Message"},
          {"type", "object"},
          {"required", json::array({"message"})},
          {"properties", {{"message", schema::string()}}}};
}

// Live accounts; who may see one is the route's caller rule (self or superuser).
const Resource<User>& users() {
  static const Resource<User> r{user_shape(),
                                [](const Exchange& ex, int64_t id) { return ex.service.models().user(id); },
                                "Resource not found"};
  return r;
}

// ---- handlers -------------------------------------------------------------------

net::awaitable<Response> list_users(Exchange& ex) {
  Input in(ex);
  const int64_t skip = in.query("skip", skip_param()).value_or(0);
  const int64_t limit = in.query("limit", limit_param()).value_or(100);
  if (auto refused = in.refusal()) co_return std::move(*refused);
  proj::Page<User> page = ex.service.models().users(static_cast<size_t>(skip), static_cast<size_t>(limit));
  co_return reply(ex, http::status::ok, user_shape().render_list(page.items));
}

net::awaitable<Response> get_user(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("user_id", user_id_param());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  co_return show(ex, users(), id);
}

net::awaitable<Response> update_user(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("user_id", user_id_param());
  UserUpdate body = in.body(user_update());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!users().find(ex, id)) co_return no_such(ex, users());
  auto expected = if_match(ex);
  if (!expected) co_return fail(ex, expected.status());

  auth::AccountChange change;
  cmd::UpdateProfile& p = change.profile;
  if (body.email) {
    p.fields |= user_field::kEmail;
    p.email = std::move(*body.email);
  }
  if (body.username) {
    p.fields |= user_field::kUsername;
    p.username = std::move(*body.username);
  }
  if (body.full_name.present()) {
    p.fields |= user_field::kFullName;
    p.full_name = body.full_name.has_value() ? std::move(body.full_name.value) : std::string();
  }
  change.password = std::move(body.password);
  change.is_active = body.is_active;
  change.is_superuser = body.is_superuser;
  auto updated = co_await auth::update_account(ex, id, std::move(change), *expected);
  if (!updated) co_return fail(ex, updated.status());
  co_return show(ex, users(), *updated);
}

net::awaitable<Response> delete_user(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("user_id", user_id_param());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!users().find(ex, id)) co_return no_such(ex, users());
  cmd::DeleteUser command{id};
  cmd::CommandResult r = co_await submit(ex, command, /*conditional=*/true);
  if (!r.status) co_return fail(ex, r.status);
  co_return reply(ex, http::status::ok, {{"message", "User deleted successfully"}});
}

}  // namespace

void add_user_routes(Routes& routes) {
  routes.get("/api/v1/users/", list_users)
      .superuser()
      .summary("Accounts in id order (superusers)")
      .query("skip", skip_param())
      .query("limit", limit_param())
      .answers(200, user_shape().list_schema());
  routes.get("/api/v1/users/{user_id}", get_user)
      .self_or_superuser("user_id")
      .summary("An account (ETag: its version)")
      .answers(200, user_shape());
  routes.put("/api/v1/users/{user_id}", update_user)
      .self_or_superuser("user_id")
      .summary("Change an account; is_active and is_superuser by superusers only (If-Match honoured)")
      .body(user_update())
      .answers(200, user_shape());
  routes.del("/api/v1/users/{user_id}", delete_user)
      .superuser()
      .summary("Delete an account: its sessions end, its username and email become free (If-Match honoured)")
      .answers(200, message_schema());
}

}  // namespace almanac::api::admin
