#include "api/contracts/flowstate/flowstate.hpp"

#include "api/contracts/flowstate/auth.hpp"
#include "api/contracts/flowstate/events.hpp"
#include "api/contracts/flowstate/inbox.hpp"
#include "api/contracts/flowstate/sync.hpp"
#include "api/dialects.hpp"

namespace almanac::api::flowstate {

namespace {

// FastAPI with Pydantic v2, HTTPBearer for credentials; a 422 also says
// "message": "Validation Error" (the service's own validation handler).
class FlowstateDialect final : public PydanticV2Dialect {
 public:
  json body(const ApiError& e) const override {
    json out = PydanticV2Dialect::body(e);
    if (e.status == http::status::unprocessable_entity && !e.fields.empty()) out["message"] = "Validation Error";
    return out;
  }

  json error_schema() const override {
    json s = PydanticV2Dialect::error_schema();
    s["description"] = "FastAPI's errors: a message, or for a 422 every field at fault and \"Validation Error\".";
    s["properties"]["message"] = {{"type", "string"}, {"enum", json::array({"Validation Error"})}};
    return s;
  }

  // HTTPBearer: 403 without credentials or with another scheme, 401 for a
  // token that does not verify.
  ApiError unauthenticated(AuthFailure failure, const Status&) const override {
    switch (failure) {
      case AuthFailure::kMissing: return {http::status::forbidden, "", "Not authenticated", {}, json::object()};
      case AuthFailure::kMalformed:
        return {http::status::forbidden, "", "Invalid authentication credentials", {}, json::object()};
      case AuthFailure::kRejected: break;
    }
    return {http::status::unauthorized, "", "Could not validate credentials", {}, json::object()};
  }

 protected:
  std::span<const ReasonAnswer> answers() const override {
    static constexpr ReasonAnswer kAnswers[] = {
        {Reason::kDuplicateUsername, http::status::conflict},
        {Reason::kDuplicateEmail, http::status::conflict},
        {Reason::kStaleVersion, http::status::precondition_failed, "Precondition Failed"},
        {Reason::kInvalidCredentials, http::status::unauthorized, "Incorrect username or password"},
        {Reason::kAccountDisabled, http::status::unauthorized},
        {Reason::kInvalidResetToken, http::status::bad_request, "Invalid or expired password reset token"},
        {Reason::kBlankTitle, http::status::bad_request, "Event title cannot be empty"},
        {Reason::kEndNotAfterStart, http::status::bad_request, "Event start time must be before end time"},
        {Reason::kTimeConflict, http::status::conflict, "Event time conflicts with existing events"},
        {Reason::kNotOwner, http::status::forbidden, "Not enough permissions to access this event"},
    };
    return kAnswers;
  }
};

void add_routes(Routes& routes) {
  routes.owns("/users/");
  routes.owns("/api/inbox/");
  routes.owns("/ws/sync");
  add_auth_routes(routes);
  add_event_routes(routes);
  add_inbox_routes(routes);
  add_sync_routes(routes);
}

}  // namespace

const Contract& contract() {
  static const FlowstateDialect dialect;
  static const Contract c{"flowstate", "Users with UUID ids, events with categories, inbox, sync socket (seed 001)",
                          dialect, add_routes};
  return c;
}

}  // namespace almanac::api::flowstate
