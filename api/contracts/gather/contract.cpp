#include "api/contracts/gather/gather.hpp"

#include "api/contracts/gather/routes.hpp"
#include "api/dialects.hpp"
#include "api/health.hpp"

namespace almanac::api::gather {

namespace {

// Django REST framework with simplejwt.
class GatherDialect final : public DrfDialect {
 protected:
  std::span<const ReasonAnswer> answers() const override {
    static constexpr ReasonAnswer kAnswers[] = {
        {Reason::kDuplicateUsername, http::status::conflict, {}, "conflict", true,
         "A user with that username already exists."},
        {Reason::kDuplicateEmail, http::status::conflict, {}, "conflict", true,
         "A user with that email already exists."},
        {Reason::kInvalidCredentials, http::status::bad_request, "Invalid credentials", "invalid_credentials", true,
         "Unable to log in with provided credentials."},
        {Reason::kAccountDisabled, http::status::unauthorized, "User account is disabled.", "account_disabled"},
    };
    return kAnswers;
  }
};

// The health routes in the document's shapes, with and without the trailing
// slash (DESIGN.md names them without, the document with).
void add_health_routes(Routes& routes) {
  routes.owns("/health");
  for (std::string suffix : {"", "/"}) {
    routes.get("/health" + suffix, health::health).anyone().unlimited().summary("Basic health status");
    routes.get("/health/ready" + suffix, health::ready)
        .anyone()
        .unlimited()
        .summary("Readiness: the log can be read and written");
    routes.get("/health/live" + suffix, health::live).anyone().unlimited().summary("Liveness");
    routes.get("/health/status" + suffix, health::status).anyone().unlimited().summary("Status dashboard");
  }
}

void add_routes(Routes& routes) {
  routes.owns("/api/v1/auth/");
  routes.owns("/api/v1/events/");
  routes.owns("/api/v1/tasks/");
  routes.owns("/api/v1/voting/");
  routes.owns("/ws/events/");
  add_health_routes(routes);
  add_auth_routes(routes);
  add_media_routes(routes);
  add_event_routes(routes);
  add_task_routes(routes);
  add_poll_routes(routes);
  add_feed_routes(routes);
}

}  // namespace

const Contract& contract() {
  static const GatherDialect dialect;
  static const Contract c{"gather", "Public gatherings, tasks, voting, health (seed 004)", dialect, add_routes};
  return c;
}

}  // namespace almanac::api::gather
