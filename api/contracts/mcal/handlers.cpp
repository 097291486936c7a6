#include "api/contracts/mcal/handlers.hpp"

#include "api/contracts/mcal/models.hpp"
#include "api/handler.hpp"
#include "events/time.hpp"

namespace almanac::api::mcal {

namespace {

// The caller's own calendars and events; someone else's read as unknown.
const Resource<proj::CalendarView>& calendars() {
  static const Resource<proj::CalendarView> r{
      calendar_shape(),
      [](const Exchange& ex, int64_t id) -> std::optional<proj::CalendarView> {
        auto c = ex.service.models().calendar(id);
        if (!c || c->owner_id != ex.user().user_id) return std::nullopt;
        return c;
      },
      "Calendar not found"};
  return r;
}

const Resource<proj::EventView>& events() {
  static const Resource<proj::EventView> r{
      event_shape(),
      [](const Exchange& ex, int64_t id) -> std::optional<proj::EventView> {
        auto e = ex.service.models().event(id);
        if (!e || e->owner_id != ex.user().user_id) return std::nullopt;
        return e;
      },
      "Event not found"};
  return r;
}

Response bad_request(const Exchange& ex, std::string message) {
  return refuse(ex, {http::status::bad_request, "", std::move(message), {}, json::object()});
}

}  // namespace

// ---- calendars ------------------------------------------------------------------

net::awaitable<Response> create_calendar(Exchange& ex) {
  Input in(ex);
  CalendarInput body = in.body(calendar_create());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  cmd::CreateCalendar command{ex.user().user_id, std::move(body.name), std::move(body.color)};
  co_return co_await write(ex, command, calendars(), http::status::created);
}

net::awaitable<Response> list_calendars(Exchange& ex) {
  co_return reply(ex, http::status::ok, calendar_shape().render_list(ex.service.models().calendars_of(ex.user().user_id)));
}

net::awaitable<Response> get_calendar(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("calendar_id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  co_return show(ex, calendars(), id);
}

net::awaitable<Response> update_calendar(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("calendar_id", ids());
  CalendarInput body = in.body(calendar_create());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!calendars().find(ex, id)) co_return no_such(ex, calendars());
  cmd::UpdateCalendar command{id, std::move(body.name), std::move(body.color)};
  co_return co_await write(ex, command, calendars(), http::status::ok, id);
}

net::awaitable<Response> delete_calendar(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("calendar_id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!calendars().find(ex, id)) co_return no_such(ex, calendars());
  cmd::DeleteCalendar command{id};
  co_return co_await write(ex, command, calendars(), http::status::no_content, id);
}

// ---- events ---------------------------------------------------------------------

net::awaitable<Response> create_event(Exchange& ex) {
  Input in(ex);
  const int64_t calendar_id = in.path("calendar_id", ids());
  EventInput body = in.body(event_create());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!calendars().find(ex, calendar_id)) co_return no_such(ex, calendars());
  cmd::ScheduleEvent command = schedule_command(body, ex.user().user_id, calendar_id);
  co_return co_await write(ex, command, events(), http::status::created);
}

net::awaitable<Response> get_event(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  co_return show(ex, events(), id);
}

net::awaitable<Response> update_event(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  EventInput body = in.body(event_create());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!events().find(ex, id)) co_return no_such(ex, events());
  cmd::UpdateEvent command = update_command(body, id);
  co_return co_await write(ex, command, events(), http::status::ok, id);
}

net::awaitable<Response> delete_event(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!events().find(ex, id)) co_return no_such(ex, events());
  cmd::DeleteEvent command{id};
  co_return co_await write(ex, command, events(), http::status::no_content, id);
}

// ---- expanded occurrences ----------------------------------------------------------

net::awaitable<Response> expanded_events(Exchange& ex) {
  Input in(ex);
  const auto start_day = in.query("start_date", day());
  const auto end_day = in.query("end_date", day());
  const auto calendar_id = in.query("calendar_id", calendar_filter());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (*start_day > *end_day) co_return bad_request(ex, "start_date cannot be after end_date");
  const uint32_t max_days = ex.service.config().expand_max_days;
  if (int64_t{*end_day} - *start_day + 1 > max_days)
    co_return bad_request(ex, "Date range too long: at most " + std::to_string(max_days) +
                                  " days from start_date to end_date inclusive");

  proj::OccurrenceQuery q;
  q.owner_id = ex.user().user_id;
  q.calendar_id = calendar_id;
  q.window_start = int64_t{*start_day} * kMicrosPerDay;
  q.window_end = (int64_t{*end_day} + 1) * kMicrosPerDay;
  q.cap = proj::kDefaultOccurrenceCap;
  proj::OccurrencePage page = ex.service.models().occurrences(q);
  Response res;
  if (wants_msgpack(ex.req)) {
    res = reply(ex, http::status::ok, occurrence_shape().render_list(page.items));
  } else {
    res = Response{http::status::ok, ex.req.version()};
    res.set(http::field::server, "almanac");
    res.set(http::field::content_type, "application/json");
    res.body() = occurrences_json(page.items);
    res.keep_alive(ex.req.keep_alive());
  }
  if (page.truncated) {
    res.set("X-Occurrences-Truncated", "true");
    res.set("X-Occurrences-Cap", std::to_string(q.cap));
  }
  res.prepare_payload();
  co_return res;
}

}  // namespace almanac::api::mcal
