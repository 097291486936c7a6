#include "api/contracts/flowstate/events.hpp"

#include <variant>

#include "api/contracts/flowstate/models.hpp"
#include "api/handler.hpp"
#include "events/time.hpp"

namespace almanac::api::flowstate {

namespace {

const Resource<EventOut>& events() {
  static const Resource<EventOut> r{event_response(), owned_event, "Event not found"};
  return r;
}

Response forbidden_event(const Exchange& ex) {
  return refuse(ex, {http::status::forbidden, "", "Not enough permissions to access this event", {}, json::object()});
}

// The event the path names: its id when it is the caller's; otherwise the
// answer (404 unknown, 403 someone else's, as the document says).
std::variant<int64_t, Response> find_event(Exchange& ex, const ev::Uuid& uuid) {
  auto e = ex.service.models().event_by_uuid(uuid);
  if (!e) return no_such(ex, events());
  if (e->owner_id != ex.user().user_id) return forbidden_event(ex);
  return e->id;
}

const Spec<ev::Uuid>& event_id() {
  static const Spec<ev::Uuid> s = uuid();
  return s;
}

net::awaitable<Response> create_event(Exchange& ex) {
  Input in(ex);
  EventInput body = in.body(event_create());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  cmd::ScheduleEvent command = schedule_command(body, ex.user().user_id);
  co_return co_await write(ex, command, events(), http::status::created);
}

net::awaitable<Response> get_event(Exchange& ex) {
  Input in(ex);
  const ev::Uuid uuid = in.path("event_id", event_id());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto found = find_event(ex, uuid);
  if (auto* answer = std::get_if<Response>(&found)) co_return std::move(*answer);
  co_return show(ex, events(), std::get<int64_t>(found));
}

net::awaitable<Response> list_events(Exchange& ex) {
  Input in(ex);
  const auto start_day = in.query("start_date", list_day());
  const auto end_day = in.query("end_date", list_day());
  const auto category = in.query("category", list_category());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  proj::EventQuery q;
  q.viewer = ex.user().user_id;
  q.scope = proj::EventScope::kOwned;
  if (start_day) q.start_min = int64_t{*start_day} * kMicrosPerDay;
  if (end_day) q.end_max = (int64_t{*end_day} + 1) * kMicrosPerDay - 1;
  q.category = category;
  q.order = proj::EventOrder::kByStart;
  q.limit = static_cast<size_t>(-1);
  proj::Page<proj::EventView> page = ex.service.models().events(q);
  const ev::Uuid me = caller_uuid(ex);
  json out = json::array();
  for (proj::EventView& e : page.items) {
    const uint64_t version = e.version;
    out.push_back(event_response().render(EventOut{std::move(e), me, version}));
  }
  co_return reply(ex, http::status::ok, out);
}

net::awaitable<Response> update_event(Exchange& ex) {
  Input in(ex);
  const ev::Uuid uuid = in.path("event_id", event_id());
  EventPatch body = in.body(event_update());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto found = find_event(ex, uuid);
  if (auto* answer = std::get_if<Response>(&found)) co_return std::move(*answer);
  const int64_t id = std::get<int64_t>(found);
  cmd::UpdateEvent command = update_command(body, id);
  // A body naming no field changes nothing: the event as it is.
  if (command.changes.fields == 0) co_return show(ex, events(), id);
  co_return co_await write(ex, command, events(), http::status::ok, id);
}

net::awaitable<Response> delete_event(Exchange& ex) {
  Input in(ex);
  const ev::Uuid uuid = in.path("event_id", event_id());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto found = find_event(ex, uuid);
  if (auto* answer = std::get_if<Response>(&found)) co_return std::move(*answer);
  const int64_t id = std::get<int64_t>(found);
  cmd::DeleteEvent command{id};
  co_return co_await write(ex, command, events(), http::status::no_content, id);
}

}  // namespace

void add_event_routes(Routes& routes) {
  routes.post("/api/events/", create_event)
      .summary("Create an event (409 when it overlaps another of the caller's events)")
      .body(event_create())
      .answers(201, event_response());
  routes.get("/api/events/", list_events)
      .summary("The caller's events within [start_date, end_date] (whole days), by start")
      .query("start_date", list_day())
      .query("end_date", list_day())
      .query("category", list_category())
      .answers(200, event_response().list_schema());
  routes.get("/api/events/{event_id:uuid}", get_event)
      .summary("An event (ETag: its version; 403 when another user's)")
      .answers(200, event_response());
  routes.put("/api/events/{event_id:uuid}", update_event)
      .summary("Change the fields given (If-Match honoured; 409 on a time conflict)")
      .body(event_update())
      .answers(200, event_response());
  routes.del("/api/events/{event_id:uuid}", delete_event)
      .summary("Delete an event (If-Match honoured)")
      .answers(204);
}

}  // namespace almanac::api::flowstate
