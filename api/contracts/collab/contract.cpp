#include "api/contracts/collab/collab.hpp"

#include "api/contracts/collab/auth.hpp"
#include "api/contracts/collab/events.hpp"
#include "api/contracts/collab/notifications.hpp"
#include "api/dialects.hpp"

namespace almanac::api::collab {

namespace {

// A FastAPI service whose handlers wrap every error in {"detail": {"code",
// ...}}; a disabled account is refused like bad credentials.
class CollabDialect final : public CodedDetailDialect {
 protected:
  std::span<const ReasonAnswer> answers() const override {
    static constexpr ReasonAnswer kAnswers[] = {
        {Reason::kAccountDisabled, http::status::unauthorized},
    };
    return kAnswers;
  }
};

void add_routes(Routes& routes) {
  routes.owns("/api/auth/");
  routes.owns("/api/events");
  routes.owns("/api/notifications");
  add_auth_routes(routes);
  add_event_routes(routes);
  add_history_routes(routes);
  add_notification_routes(routes);
}

}  // namespace

const Contract& contract() {
  static const CollabDialect dialect;
  static const Contract c{"collab", "Shared calendars with int ids, roles, notifications (seed 000)", dialect,
                          add_routes};
  return c;
}

}  // namespace almanac::api::collab
