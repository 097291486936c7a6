#include "api/contracts/admin/admin.hpp"

#include "api/contracts/admin/auth.hpp"
#include "api/contracts/admin/users.hpp"
#include "api/contracts/admin/ws.hpp"
#include "api/dialects.hpp"
#include "api/docs_pages.hpp"
#include "api/openapi.hpp"

namespace almanac::api::admin {

namespace {

// The document's rate limit of its API routes: 10 requests a second per
// client with a burst of 20 more (--rate-policy admin=...).
constexpr RatePolicy kApiRate{"admin", {.count = 10, .window_s = 1, .burst = 20}, RateKey::kUserOrIp};

// FastAPI with Pydantic v1 and OAuth2PasswordBearer. The document lists no
// 409: a taken username or email is a 400 with a detail.
class AdminDialect final : public PydanticV1Dialect {
 public:
  // OAuth2PasswordBearer: 401 "Not authenticated" without a bearer token; a
  // token that does not verify (expired, its session ended, its account
  // disabled or deleted) is FastAPI's "Could not validate credentials".
  ApiError unauthenticated(AuthFailure failure, const Status&) const override {
    const char* message = failure == AuthFailure::kRejected ? "Could not validate credentials" : "Not authenticated";
    return {http::status::unauthorized, "", message, {}, json::object()};
  }

 protected:
  std::span<const ReasonAnswer> answers() const override {
    static constexpr ReasonAnswer kAnswers[] = {
        {Reason::kDuplicateUsername, http::status::bad_request, "Username already registered"},
        {Reason::kDuplicateEmail, http::status::bad_request, "Email already registered"},
        {Reason::kInvalidCredentials, http::status::unauthorized, "Incorrect username or password"},
        {Reason::kAccountDisabled, http::status::unauthorized},
        {Reason::kSelfDeletion, http::status::bad_request, "Superusers cannot delete themselves"},
    };
    return kAnswers;
  }
  // The document's 404 wording for every resource.
  ApiError by_code(const Status& s) const override {
    ApiError e = PydanticV1Dialect::by_code(s);
    if (s.code() == Code::kNotFound) e.message = "Resource not found";
    return e;
  }
};

// The API description and its readers, at FastAPI's paths as the document
// names them; the readers' files come from this server, never another host.
void add_docs_routes(Routes& routes) {
  routes.owns("/docs");
  routes.owns("/redoc");
  routes.get("/openapi.json", openapi_json)
      .anyone()
      .unlimited()
      .summary("This API description (OpenAPI 3.1), generated from the route table")
      .answers(200, json{{"type", "object"}, {"required", json::array({"openapi", "info", "paths"})}});
  routes.get("/docs", docs::swagger_page).anyone().unlimited().summary("Swagger UI over /openapi.json (HTML)");
  routes.get("/redoc", docs::redoc_page).anyone().unlimited().summary("Redoc over /openapi.json (HTML)");
  routes.get("/docs/assets/{file}", docs::asset)
      .anyone()
      .unlimited()
      .summary("A file of the API readers (scripts, styles, icons), cached by ETag");
  routes.get("/docs/assets/swagger-init.js", docs::swagger_init)
      .anyone()
      .unlimited()
      .summary("The script starting Swagger UI on /openapi.json");
}

void add_routes(Routes& routes) {
  routes.owns("/api/v1/users/");
  routes.owns("/api/v1/ws/");
  add_docs_routes(routes);
  add_auth_routes(routes);
  add_user_routes(routes);
  add_ws_routes(routes);
}

}  // namespace

const Contract& contract() {
  static const AdminDialect dialect;
  static const Contract c{.name = "admin",
                          .description = "User administration, echo socket (seed 003)",
                          .dialect = dialect,
                          .add_routes = add_routes,
                          .rate_policy = &kApiRate};
  return c;
}

}  // namespace almanac::api::admin
