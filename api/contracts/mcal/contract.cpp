#include "api/contracts/mcal/mcal.hpp"

#include "api/contracts/mcal/handlers.hpp"
#include "api/contracts/mcal/local_user.hpp"
#include "api/contracts/mcal/models.hpp"
#include "api/dialects.hpp"
#include "api/routes.hpp"
#include "api/service.hpp"

namespace almanac::api::mcal {

namespace {

// FastAPI with Pydantic v2; a taken calendar name is the document's 400.
class McalDialect final : public PydanticV2Dialect {
 protected:
  std::span<const ReasonAnswer> answers() const override {
    static constexpr ReasonAnswer kAnswers[] = {
        {Reason::kDuplicateCalendarName, http::status::bad_request},
    };
    return kAnswers;
  }
};

// Without credentials, the local user when the server serves calendars anonymously.
net::awaitable<std::optional<Result<Principal>>> anonymous(Service& service) {
  if (!service.config().anonymous_calendars) co_return std::nullopt;
  Result<int64_t> id = co_await local_user(service);
  if (!id) co_return Result<Principal>(id.status());
  co_return Result<Principal>(Principal{.user_id = *id});
}

void add_routes(Routes& routes) {
  routes.owns("/calendars/");
  routes.owns("/events/");
  // Ids are "{name}" segments: the handlers answer 422 for a non-integer or <= 0.
  routes.post("/calendars/", create_calendar)
      .summary("Create a calendar")
      .body(calendar_create())
      .answers(201, calendar_shape());
  routes.get("/calendars/", list_calendars).summary("The caller's calendars").answers(200, calendar_shape().list_schema());
  routes.get("/calendars/{calendar_id}/", get_calendar)
      .summary("A calendar (ETag: its version)")
      .answers(200, calendar_shape());
  routes.put("/calendars/{calendar_id}/", update_calendar)
      .summary("Rename or recolour a calendar (If-Match honoured)")
      .body(calendar_create())
      .answers(200, calendar_shape());
  routes.del("/calendars/{calendar_id}/", delete_calendar)
      .summary("Delete a calendar and its events (If-Match honoured)")
      .answers(204);
  routes.post("/calendars/{calendar_id}/events/", create_event)
      .summary("Create an event in a calendar")
      .body(event_create())
      .answers(201, event_shape());
  routes.get("/events/expanded/", expanded_events)
      .summary("Occurrences overlapping whole days [start_date, end_date]")
      .query("start_date", day())
      .query("end_date", day())
      .query("calendar_id", calendar_filter())
      .answers(200, occurrence_shape().list_schema());
  routes.get("/events/{event_id}/", get_event).summary("An event (ETag: its version)").answers(200, event_shape());
  routes.put("/events/{event_id}/", update_event)
      .summary("Replace an event's fields; its calendar stays (If-Match honoured)")
      .body(event_create())
      .answers(200, event_shape());
  routes.del("/events/{event_id}/", delete_event).summary("Delete an event (If-Match honoured)").answers(204);
}

}  // namespace

const Contract& contract() {
  static const McalDialect dialect;
  static const Contract c{"mcal", "Calendars and recurring events (seed 002)", dialect, add_routes, anonymous};
  return c;
}

}  // namespace almanac::api::mcal
