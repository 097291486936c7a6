#include "api/contracts/native/native.hpp"

#include "api/dialects.hpp"
#include "api/health.hpp"
#include "api/routes.hpp"
#include "api/streams.hpp"

namespace almanac::api::native {

namespace {

class NativeDialect final : public PydanticV2Dialect {
 public:
  ApiError refusal(Refusal kind, std::string detail) const override {
    if (kind == Refusal::kSuperuserRequired)
      return {http::status::forbidden, "", "Superuser privileges required", {}, json::object()};
    return PydanticV2Dialect::refusal(kind, std::move(detail));
  }
};

json page_schema() { return {{"type", "object"}, {"required", json::array({"events", "next"})}}; }

void add_routes(Routes& routes) {
  routes.owns("/streams/");
  routes.get("/metrics", health::metrics).anyone().unlimited().summary("Prometheus metrics (text exposition format)");

  const std::string limits = " (limit: default " + std::to_string(kStreamDefaultLimit) + ", at most " +
                             std::to_string(kStreamMaxLimit) + ")";
  routes.get("/streams/all", streams::all)
      .superuser()
      .summary("The whole log after position `from`, superusers only; JSON {events, next} or NDJSON" + limits)
      .query("from", streams::from_param())
      .query("limit", streams::limit_param())
      .answers(200, page_schema());
  routes.websocket("/streams/live", streams::live)
      .superuser()
      .summary("WebSocket: every event after position `from`, then live (superusers; ?token=)")
      .query("from", streams::from_param());
  routes.get("/streams/{category}/{id:int}", streams::entity)
      .summary("One entity's events after version `from`, for its viewers; JSON {events, next} or NDJSON" + limits)
      .query("from", streams::from_param())
      .query("limit", streams::limit_param())
      .answers(200, page_schema());
}

}  // namespace

const Contract& contract() {
  static const NativeDialect dialect;
  static const Contract c{"native", "The event log, metrics and this description", dialect, add_routes};
  return c;
}

}  // namespace almanac::api::native
