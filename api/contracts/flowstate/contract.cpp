#include "api/contracts/flowstate/flowstate.hpp"

#include "api/contracts/flowstate/auth.hpp"
#include "api/dialects.hpp"

namespace almanac::api::flowstate {

namespace {

// FastAPI with Pydantic v2, HTTPBearer for credentials.
class FlowstateDialect final : public PydanticV2Dialect {
 public:
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
    };
    return kAnswers;
  }
};

void add_routes(Routes& routes) {
  routes.owns("/users/");
  routes.owns("/api/inbox/");
  routes.owns("/ws/sync");
  add_auth_routes(routes);
}

}  // namespace

const Contract& contract() {
  static const FlowstateDialect dialect;
  static const Contract c{"flowstate", "Users with UUID ids, events with categories, inbox, sync socket (seed 001)",
                          dialect, add_routes};
  return c;
}

}  // namespace almanac::api::flowstate
