#include "api/contracts/gather/passwords.hpp"
#include "api/contracts/gather/routes.hpp"
#include "api/media.hpp"

#include "api/auth_flows.hpp"
#include "api/handler.hpp"
#include "api/time_format.hpp"

namespace almanac::api::gather {

namespace {

struct RefreshForm {
  std::string refresh;
};

struct ProfileUpdate {
  std::optional<std::string> first_name, last_name, bio, avatar;
};

const Model<auth::NewUser>& registration() {
  static const Model<auth::NewUser> m =
      Model<auth::NewUser>("Registration")
          .field("username", &auth::NewUser::username, text())
          .field("email", &auth::NewUser::email, text())
          .field("password", &auth::NewUser::password, text())
          .field("first_name", &auth::NewUser::first_name, text().nullable())
          .field("last_name", &auth::NewUser::last_name, text().nullable())
          .rule(registration_rules);
  return m;
}

const Model<RefreshForm>& refresh_form() {
  static const Model<RefreshForm> m = Model<RefreshForm>("Refresh").field("refresh", &RefreshForm::refresh, text());
  return m;
}

const Model<ProfileUpdate>& profile_update() {
  static const Model<ProfileUpdate> m = Model<ProfileUpdate>("ProfileUpdate")
                                            .field("first_name", &ProfileUpdate::first_name, text().nullable())
                                            .field("last_name", &ProfileUpdate::last_name, text().nullable())
                                            .field("bio", &ProfileUpdate::bio, text().nullable())
                                            .field("avatar", &ProfileUpdate::avatar, text().nullable());
  return m;
}

using User = proj::UserView;

// The user's summary, then what each answer adds to it.
Shape<User> summary(std::string title) {
  return Shape<User>(std::move(title))
      .field("id", schema::integer(), [](const User& u) { return json(u.id); })
      .field("username", schema::string(), [](const User& u) { return json(u.username); })
      .field("email", schema::string("email"), [](const User& u) { return json(u.email); })
      .field("first_name", schema::string(), [](const User& u) { return json(u.first_name); })
      .field("last_name", schema::string(), [](const User& u) { return json(u.last_name); });
}

Shape<User>& with_date_joined(Shape<User>& s) {
  return s.field("date_joined", schema::string("date-time"), [](const User& u) { return json(format_utc(u.created_at)); });
}

const Shape<User>& login_user() {
  static const Shape<User> s = summary("User");
  return s;
}

const Shape<User>& registered_user() {
  static const Shape<User> s = [] {
    Shape<User> s = summary("User");
    return with_date_joined(s);
  }();
  return s;
}

// The profile; GET adds last_login.
Shape<User> profile_shape(bool with_last_login) {
  Shape<User> s = summary("Profile");
  s.field("bio", schema::string(), [](const User& u) { return json(u.bio); })
      .field("avatar", schema::nullable(schema::string()),
             [](const User& u) { return u.avatar.empty() ? json(nullptr) : json(u.avatar); });
  with_date_joined(s);
  if (with_last_login)
    s.field("last_login", schema::nullable(schema::string("date-time")),
            [](const User& u) { return u.last_login ? json(format_utc(*u.last_login)) : json(nullptr); });
  return s;
}

const Resource<User>& profile() {
  static const Shape<User> shape = profile_shape(true);
  static const Resource<User> r{shape, [](const Exchange& ex, int64_t id) { return ex.service.models().user(id); },
                                "User not found"};
  return r;
}

const Resource<User>& updated_profile() {
  static const Shape<User> shape = profile_shape(false);
  static const Resource<User> r{shape, profile().find, "User not found"};
  return r;
}

json session_schema(const Shape<User>& user) {
  return {{"title", "Session"},
          {"type", "object"},
          {"properties", {{"access", schema::string()}, {"refresh", schema::string()}, {"user", user.schema()}}}};
}

json session(const auth::Tokens& t, json user) {
  return {{"access", t.access}, {"refresh", t.refresh}, {"user", std::move(user)}};
}

net::awaitable<Response> register_user(Exchange& ex) {
  Input in(ex);
  auth::NewUser user = in.body(registration());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto created = co_await auth::register_user(ex, std::move(user));
  if (!created) co_return fail(ex, created.status());
  auto tokens = co_await auth::start_session(ex, *created, "#session");
  if (!tokens) co_return fail(ex, tokens.status());
  co_return reply(ex, http::status::created, session(*tokens, registered_user().render(*created)));
}

net::awaitable<Response> login(Exchange& ex) {
  Input in(ex);
  auth::LoginForm form = in.body(auth::login_form());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto signed_in = co_await auth::login(ex, form.username, form.password);
  if (!signed_in) co_return fail(ex, signed_in.status());
  co_return reply(ex, http::status::ok, session(signed_in->tokens, login_user().render(signed_in->user)));
}

net::awaitable<Response> refresh(Exchange& ex) {
  Input in(ex);
  RefreshForm form = in.body(refresh_form());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto tokens = co_await auth::refresh(ex, form.refresh);
  if (!tokens) co_return fail(ex, tokens.status());
  co_return reply(ex, http::status::ok, {{"access", tokens->access}, {"refresh", tokens->refresh}});
}

// A refresh token that is not the caller's is named under "refresh".
constexpr ReasonAnswer kLogoutAnswers[] = {
    {Reason::kTokenInvalid, http::status::bad_request, {}, "token_not_valid", true},
};

net::awaitable<Response> logout(Exchange& ex) {
  Input in(ex);
  RefreshForm form = in.body(refresh_form());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (Status st = co_await auth::logout_refresh(ex, ex.user(), form.refresh); !st)
    co_return fail(ex, st, kLogoutAnswers);
  co_return reply(ex, http::status::ok, {{"message", "Successfully logged out"}});
}

// The avatar: an uploaded file as an absolute URL on this server (from the
// request's Host); a string set through JSON as it was given; null when unset.
json avatar_url(const Exchange& ex, const std::string& avatar) {
  if (avatar.empty()) return nullptr;
  if (avatar.rfind("/media/", 0) != 0) return avatar;
  return (ex.req["X-Forwarded-Proto"] == "https" ? "https://" : "http://") + std::string(ex.req[http::field::host]) +
         avatar;
}

Response show_profile(const Exchange& ex, const Resource<User>& resource, const User& u) {
  json body = resource.shape.render(u);
  body["avatar"] = avatar_url(ex, u.avatar);
  return with_etag(reply(ex, http::status::ok, body), u.version);
}

net::awaitable<Response> get_profile(Exchange& ex) {
  auto u = profile().find(ex, ex.user().user_id);
  if (!u) co_return no_such(ex, profile());
  co_return show_profile(ex, profile(), *u);
}

constexpr ReasonAnswer kProfileAnswers[] = {
    {Reason::kStaleVersion, http::status::precondition_failed,
     "The profile was modified since the ETag given in If-Match.", "precondition_failed"},
};

constexpr size_t kMaxAvatarBytes = 2 << 20;

// The avatar file of a multipart update: stored, its name in `avatar`; the
// problem with it otherwise (nothing stored).
net::awaitable<std::optional<Problem>> store_avatar(Exchange& ex, const FormPart& file, std::string& avatar) {
  const Loc loc = {"body", "avatar"};
  if (file.data.size() > kMaxAvatarBytes)
    co_return Problem::because(loc, "The file is too large: an avatar may be at most 2 MiB.");
  auto type = image_type(file.data);
  if (!type)
    co_return Problem::because(
        loc, "Upload a valid image. The file you uploaded was either not an image or a corrupted image.");
  const MediaStore& media = ex.service.media();
  const std::string_view extension = image_extension(*type);
  const std::string& bytes = file.data;
  std::string stored;
  Status failure = Status::ok();
  co_await ex.service.run_blocking([&media, extension, &bytes, &stored, &failure] {
    auto put = media.put("avatars", extension, bytes);
    if (put)
      stored = std::move(put.value());
    else
      failure = put.status();
    return true;
  });
  if (!failure) co_return Problem::because(loc, "The file could not be stored: " + failure.message());
  avatar = "/media/" + stored;
  co_return std::nullopt;
}

net::awaitable<Response> update_profile(Exchange& ex) {
  Input in(ex);
  ProfileUpdate body = in.body(profile_update());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto expected = if_match(ex);
  if (!expected) co_return fail(ex, expected.status(), kProfileAnswers);
  cmd::UpdateProfile change;
  const std::pair<const std::optional<std::string>*, std::pair<std::string*, uint32_t>> fields[] = {
      {&body.first_name, {&change.first_name, user_field::kFirstName}},
      {&body.last_name, {&change.last_name, user_field::kLastName}},
      {&body.bio, {&change.bio, user_field::kBio}},
      {&body.avatar, {&change.avatar, user_field::kAvatar}},
  };
  for (const auto& [given, target] : fields)
    if (*given) {
      *target.first = **given;
      change.fields |= target.second;
    }
  for (const FormPart& file : in.files()) {
    if (file.name != "avatar") continue;
    std::optional<Problem> problem = co_await store_avatar(ex, file, change.avatar);
    if (problem) co_return refuse(ex, ex.dialect().invalid(std::vector<Problem>{std::move(*problem)}));
    change.fields |= user_field::kAvatar;
  }
  auto updated = co_await auth::update_profile(ex, ex.user(), std::move(change), *expected);
  if (!updated) co_return fail(ex, updated.status(), kProfileAnswers);
  co_return show_profile(ex, updated_profile(), *updated);
}

// An uploaded file: its bytes with its type, its digest as ETag, cached for a year.
net::awaitable<Response> media_file(Exchange& ex) {
  const std::string* file = ex.params.get("file");
  const std::string name = "avatars/" + (file ? *file : std::string());
  const MediaStore& media = ex.service.media();
  std::string bytes;
  bool found = false;
  co_await ex.service.run_blocking([&media, &name, &bytes, &found] {
    auto got = media.get(name);
    if (got) {
      bytes = std::move(got.value());
      found = true;
    }
    return true;
  });
  if (!found) co_return fail(ex, not_found("Not found."));
  const std::string tag = "\"" + name.substr(name.find('/') + 1, 64) + "\"";
  Response res{http::status::ok, ex.req.version()};
  if (ex.req[http::field::if_none_match] == tag) {
    res.result(http::status::not_modified);
  } else {
    res.set(http::field::content_type, *type_of_extension(name));
    res.body() = std::move(bytes);
  }
  res.set(http::field::etag, tag);
  res.set(http::field::cache_control, "public, max-age=31536000, immutable");
  res.keep_alive(ex.req.keep_alive());
  res.prepare_payload();
  co_return res;
}

}  // namespace

void add_auth_routes(Routes& routes) {
  routes.post("/api/v1/auth/register/", register_user)
      .anyone()
      .auth_limit()
      .summary("Register a user and sign in")
      .body(registration())
      .answers(201, session_schema(registered_user()));
  routes.post("/api/v1/auth/login/", login)
      .anyone()
      .auth_limit()
      .summary("Log in (username may be the email)")
      .body(auth::login_form())
      .answers(200, session_schema(login_user()));
  routes.post("/api/v1/auth/refresh/", refresh)
      .anyone()
      .auth_limit()
      .summary("Rotate a refresh token")
      .body(refresh_form())
      .answers(200, json{{"type", "object"},
                         {"properties", {{"access", schema::string()}, {"refresh", schema::string()}}}});
  routes.post("/api/v1/auth/logout/", logout)
      .auth_limit()
      .summary("End the session of a refresh token")
      .body(refresh_form())
      .answers(200, json{{"type", "object"}, {"properties", {{"message", schema::string()}}}});
  routes.get("/api/v1/auth/profile/", get_profile)
      .summary("The current user's profile (ETag)")
      .answers(200, profile().shape);
  routes.put("/api/v1/auth/profile/", update_profile)
      .multipart(4 << 20)
      .summary("Update the current user's profile: JSON, or multipart/form-data with an avatar image (If-Match honoured)")
      .body(profile_update())
      .answers(200, updated_profile().shape);
}

void add_media_routes(Routes& routes) {
  routes.owns("/media/");
  routes.get("/media/avatars/{file}", media_file).anyone().summary("An uploaded avatar (cached for a year; ETag)");
}

}  // namespace almanac::api::gather
