#include "api/contracts/admin/admin.hpp"

#include "api/contracts/admin/auth.hpp"
#include "api/dialects.hpp"
#include "api/docs_pages.hpp"
#include "api/openapi.hpp"

namespace almanac::api::admin {

namespace {

// FastAPI with Pydantic v1. The document lists no 409: a taken username or
// email is a 400 with a detail.
class AdminDialect final : public PydanticV1Dialect {
 protected:
  std::span<const ReasonAnswer> answers() const override {
    static constexpr ReasonAnswer kAnswers[] = {
        {Reason::kDuplicateUsername, http::status::bad_request, "Username already registered"},
        {Reason::kDuplicateEmail, http::status::bad_request, "Email already registered"},
        {Reason::kInvalidCredentials, http::status::unauthorized, "Incorrect username or password"},
        {Reason::kAccountDisabled, http::status::unauthorized},
    };
    return kAnswers;
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
}

}  // namespace

const Contract& contract() {
  static const AdminDialect dialect;
  static const Contract c{"admin", "User administration, echo socket (seed 003)", dialect, add_routes};
  return c;
}

}  // namespace almanac::api::admin
