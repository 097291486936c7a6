// gather's events (/api/v1/events/...): public gatherings, listed to every
// signed-in user, with participants, join and leave.
#include "api/contracts/gather/common.hpp"
#include "api/contracts/gather/routes.hpp"
#include "api/time_format.hpp"
#include "events/time.hpp"

namespace almanac::api::gather {

namespace {

namespace ef = event_field;
using Event = proj::EventView;

// POST: title and date required. PUT (by the creator) takes the same fields;
// title and date must be there, what else is left out stays as it is.
struct EventIn {
  std::string title;
  Patch<std::string> description;
  ParsedTime date;
  Patch<std::string> location;
  Patch<int64_t> max_participants;
};

const Model<EventIn>& event_in() {
  static const Model<EventIn> m =
      Model<EventIn>("Event")
          .field("title", &EventIn::title, text().min_length(1).max_length(200))
          .field("description", &EventIn::description, text().nullable())
          .field("date", &EventIn::date, date_time().describe("UTC; a time without offset is UTC"))
          .field("location", &EventIn::location, text().max_length(255).nullable())
          .field("max_participants", &EventIn::max_participants, integer().at_least(1).nullable());
  return m;
}

json participants_count(const Event& e) { return json(e.participants.size()); }

// The fields every answer about a gathering starts with.
json base(const Exchange& ex, const Event& e, int64_t now) {
  return {{"id", e.id},
          {"title", e.title},
          {"description", e.description.value_or("")},
          {"date", format_utc(e.start)},
          {"location", e.location.value_or("")},
          {"max_participants", e.max_participants ? json(*e.max_participants) : json(nullptr)},
          {"current_participants", participants_count(e)},
          {"status", status_of(e, now)}};
}

json event_json(const Exchange& ex, const Event& e, int64_t now) {
  json j = base(ex, e, now);
  j["creator"] = user_json(ex, e.owner_id, UserFields::kFull);
  j["created_at"] = format_utc(e.created_at);
  j["updated_at"] = format_utc(e.updated_at);
  return j;
}

json event_schema() {
  return {{"title", "Event"},
          {"type", "object"},
          {"properties",
           {{"id", schema::integer()},
            {"title", schema::string()},
            {"description", schema::string()},
            {"date", schema::string("date-time")},
            {"location", schema::string()},
            {"max_participants", schema::nullable(schema::integer())},
            {"current_participants", schema::integer()},
            {"status", schema::enumeration({"upcoming", "ongoing", "completed"})},
            {"creator", user_schema(UserFields::kFull)},
            {"created_at", schema::string("date-time")},
            {"updated_at", schema::string("date-time")}}}};
}

json detail_json(const Exchange& ex, const proj::GatheringView& g, int64_t now) {
  json j = base(ex, g.event, now);
  j["creator"] = user_json(ex, g.event.owner_id, UserFields::kFull);
  json people = json::array();
  for (const proj::ParticipantView& p : g.event.participants)
    people.push_back(user_json(ex, p.user_id, UserFields::kFull));
  j["participants"] = std::move(people);
  json tasks = json::array();
  for (const proj::TaskView& t : g.tasks)
    tasks.push_back({{"id", t.id}, {"title", t.title}, {"status", task_status_name(t.status)}});
  j["tasks"] = std::move(tasks);
  json votes = json::array();
  for (const proj::PollView& p : g.polls)
    votes.push_back({{"id", p.id}, {"title", p.title}, {"status", p.status == proj::PollStatus::kEnded ? "ended" : "active"}});
  j["votes"] = std::move(votes);
  j["created_at"] = format_utc(g.event.created_at);
  j["updated_at"] = format_utc(g.event.updated_at);
  return j;
}

json detail_schema() {
  json s = event_schema();
  json item = {{"type", "object"}, {"properties", {{"id", schema::integer()}, {"title", schema::string()}, {"status", schema::string()}}}};
  s["properties"]["participants"] = schema::array(user_schema(UserFields::kFull));
  s["properties"]["tasks"] = schema::array(item);
  s["properties"]["votes"] = schema::array(item);
  return s;
}

// The update answer shows what the document shows of it.
json updated_json(const Exchange& ex, const Event& e, int64_t now) {
  json j = base(ex, e, now);
  j["creator"] = user_json(ex, e.owner_id, UserFields::kName);
  j["updated_at"] = format_utc(e.updated_at);
  return j;
}

json membership_schema() {
  return {{"type", "object"},
          {"properties",
           {{"message", schema::string()},
            {"event",
             {{"type", "object"},
              {"properties",
               {{"id", schema::integer()}, {"title", schema::string()}, {"current_participants", schema::integer()}}}}}}}};
}

int64_t now_of(const Exchange& ex) { return ex.service.clock().now_us(); }

// Sets a nullable text field of an update.
void patch(const Patch<std::string>& given, std::string& slot, uint32_t bit, ev::EventUpdatedT& ch) {
  if (!given.present()) return;
  ch.fields |= bit;
  if (given.is_null())
    ch.nulls |= bit;
  else
    slot = given.value;
}

// ---- handlers -----------------------------------------------------------------------

net::awaitable<Response> list_events(Exchange& ex) {
  static const Spec<std::string> kStatus = one_of<std::string>(
      {{"upcoming", "upcoming"}, {"ongoing", "ongoing"}, {"completed", "completed"}}).optional();
  static const Spec<int64_t> kCreator = Spec<int64_t>(ids()).optional();
  static const Spec<int32_t> kDay = date().optional();
  static const Spec<std::string> kSearch = text().optional();
  auto page = page_of(ex);
  if (!page) co_return invalid_page(ex);
  Input in(ex);
  auto search = in.query("search", kSearch);
  auto status = in.query("status", kStatus);
  auto creator = in.query("creator", kCreator);
  auto from = in.query("date_from", kDay);
  auto to = in.query("date_to", kDay);
  if (auto refused = in.refusal()) co_return std::move(*refused);
  const int64_t now = now_of(ex);
  proj::EventQuery q;
  q.viewer = ex.user().user_id;
  q.scope = proj::EventScope::kPublic;
  q.search = search.value_or("");
  if (status) filter_status(q, *status, now);
  if (creator) q.owner_id = *creator;
  if (from) q.start_min = std::max(q.start_min.value_or(INT64_MIN), int64_t{*from} * kMicrosPerDay);
  if (to) q.start_max = std::min(q.start_max.value_or(INT64_MAX), (int64_t{*to} + 1) * kMicrosPerDay);
  q.order = proj::EventOrder::kByStart;
  q.skip = page->skip();
  q.limit = page->size;
  proj::Page<Event> found = ex.service.models().events(q);
  json results = json::array();
  for (const Event& e : found.items) results.push_back(event_json(ex, e, now));
  co_return paged(ex, *page, found.total, std::move(results));
}

net::awaitable<Response> create_event(Exchange& ex) {
  Input in(ex);
  EventIn body = in.body(event_in());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  cmd::ScheduleEvent command;
  ev::EventScheduledT& e = command.event;
  e.owner_id = ex.user().user_id;
  e.visibility = ev::Visibility::Public;
  e.title = body.title;
  e.start = body.date.us;
  e.fields = ef::kTitle | ef::kStart | ef::kVisibility;
  if (body.description.has_value()) {
    e.description = body.description.value;
    e.fields |= ef::kDescription;
  }
  if (body.location.has_value()) {
    e.location = body.location.value;
    e.fields |= ef::kLocation;
  }
  if (body.max_participants.has_value()) {
    e.max_participants = static_cast<int32_t>(std::min<int64_t>(body.max_participants.value, INT32_MAX));
    e.fields |= ef::kMaxParticipants;
  }
  cmd::CommandResult r = co_await submit(ex, command);
  if (!r.status) co_return fail(ex, r.status);
  auto view = gathering(ex, created_id(r));
  if (!view) co_return fail(ex, not_found("Event not found"));
  co_return with_etag(reply(ex, http::status::created, event_json(ex, *view, now_of(ex))), view->version);
}

net::awaitable<Response> get_event(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  const int64_t now = now_of(ex);
  auto g = ex.service.models().gathering(id, now, ex.user().user_id);
  if (!g || g->event.visibility != ev::Visibility::Public) co_return fail(ex, not_found("Event not found"));
  co_return with_etag(reply(ex, http::status::ok, detail_json(ex, *g, now)), g->event.version);
}

net::awaitable<Response> update_event(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("id", ids());
  EventIn body = in.body(event_in());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!gathering(ex, id)) co_return fail(ex, not_found("Event not found"));
  cmd::UpdateEvent command;
  command.event_id = id;
  ev::EventUpdatedT& ch = command.changes;
  ch.fields = ef::kTitle | ef::kStart;
  ch.title = body.title;
  ch.start = body.date.us;
  patch(body.description, ch.description, ef::kDescription, ch);
  patch(body.location, ch.location, ef::kLocation, ch);
  if (body.max_participants.present()) {
    ch.fields |= ef::kMaxParticipants;
    if (body.max_participants.is_null())
      ch.nulls |= ef::kMaxParticipants;
    else
      ch.max_participants = static_cast<int32_t>(std::min<int64_t>(body.max_participants.value, INT32_MAX));
  }
  cmd::CommandResult r = co_await submit(ex, command, true);
  if (!r.status) co_return fail(ex, r.status);
  auto view = gathering(ex, id);
  if (!view) co_return fail(ex, not_found("Event not found"));
  co_return with_etag(reply(ex, http::status::ok, updated_json(ex, *view, now_of(ex))), view->version);
}

net::awaitable<Response> delete_event(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!gathering(ex, id)) co_return fail(ex, not_found("Event not found"));
  cmd::DeleteEvent command{id};
  cmd::CommandResult r = co_await submit(ex, command, true);
  if (!r.status) co_return fail(ex, r.status);
  co_return reply_empty(ex);
}

// join/ and leave/: the message, and the gathering as it is now.
net::awaitable<Response> membership(Exchange& ex, bool join) {
  Input in(ex);
  const int64_t id = in.path("id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!gathering(ex, id)) co_return fail(ex, not_found("Event not found"));
  cmd::CommandResult r;
  if (join) {
    cmd::JoinEvent command{id};
    r = co_await submit(ex, command);
  } else {
    cmd::LeaveEvent command{id};
    r = co_await submit(ex, command);
  }
  if (!r.status) co_return fail(ex, r.status);
  auto view = gathering(ex, id);
  if (!view) co_return fail(ex, not_found("Event not found"));
  co_return reply(ex, http::status::ok,
                  {{"message", join ? "Successfully joined the event" : "Successfully left the event"},
                   {"event", {{"id", view->id}, {"title", view->title}, {"current_participants", participants_count(*view)}}}});
}

net::awaitable<Response> join_event(Exchange& ex) { co_return co_await membership(ex, true); }
net::awaitable<Response> leave_event(Exchange& ex) { co_return co_await membership(ex, false); }

}  // namespace

json gathering_json(const Exchange& ex, const Event& e) { return event_json(ex, e, now_of(ex)); }

void add_event_routes(Routes& routes) {
  routes.get("/api/v1/events/", list_events)
      .summary("Gatherings, by date then id, paged")
      .query("page", integer().at_least(1))
      .query("page_size", integer().at_least(1).at_most(100))
      .query("search", text())
      .query("status", schema::enumeration({"upcoming", "ongoing", "completed"}))
      .query("creator", integer())
      .query("date_from", date())
      .query("date_to", date())
      .answers(200, paged_schema(event_schema()));
  routes.post("/api/v1/events/", create_event)
      .summary("Create a gathering (its creator is its first participant)")
      .body(event_in())
      .answers(201, event_schema());
  routes.get("/api/v1/events/{id:int}/", get_event)
      .summary("A gathering with its participants, tasks and votes")
      .answers(200, detail_schema());
  routes.put("/api/v1/events/{id:int}/", update_event)
      .summary("Update a gathering (its creator only)")
      .body(event_in())
      .answers(200, event_schema());
  routes.del("/api/v1/events/{id:int}/", delete_event)
      .summary("Delete a gathering, its tasks and polls with it (its creator only)")
      .answers(204);
  routes.post("/api/v1/events/{id:int}/join/", join_event).summary("Take part in a gathering").answers(200, membership_schema());
  routes.post("/api/v1/events/{id:int}/leave/", leave_event)
      .summary("Stop taking part in a gathering (not its creator)")
      .answers(200, membership_schema());
}

}  // namespace almanac::api::gather
