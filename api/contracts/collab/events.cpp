#include "api/contracts/collab/events.hpp"

#include "api/handler.hpp"

namespace almanac::api::collab {

namespace {

namespace ef = event_field;
using Event = proj::EventView;

struct EventCreate {
  std::string title;
  std::optional<std::string> description;
  ParsedTime start_time;
  ParsedTime end_time;
  std::optional<std::string> location;
  bool is_recurring = false;
};

struct EventUpdate {
  std::optional<std::string> title;
  Patch<std::string> description;
  std::optional<ParsedTime> start_time;
  std::optional<ParsedTime> end_time;
  Patch<std::string> location;
  std::optional<bool> is_recurring;
};

struct Batch {
  std::vector<EventCreate> events;
};

struct Share {
  int64_t user_id = 0;
  ev::Role role = ev::Role::Viewer;
};

struct RoleChange {
  ev::Role role = ev::Role::Viewer;
};

const Spec<ev::Role>& roles() {
  static const Spec<ev::Role> s =
      one_of<ev::Role>({{"OWNER", ev::Role::Owner}, {"EDITOR", ev::Role::Editor}, {"VIEWER", ev::Role::Viewer}});
  return s;
}

const Spec<int64_t>& ids() {
  static const Spec<int64_t> s = integer().greater_than(0);
  return s;
}

const Model<EventCreate>& event_create() {
  static const Model<EventCreate> m =
      Model<EventCreate>("EventCreate")
          .field("title", &EventCreate::title, text())
          .field("description", &EventCreate::description, text().nullable())
          .field("start_time", &EventCreate::start_time, date_time().describe("UTC; a time without offset is UTC"))
          .field("end_time", &EventCreate::end_time, date_time())
          .field("location", &EventCreate::location, text().nullable())
          .field("is_recurring", &EventCreate::is_recurring, boolean().optional(false));
  return m;
}

const Model<EventUpdate>& event_update() {
  static const Model<EventUpdate> m =
      Model<EventUpdate>("EventUpdate")
          .field("title", &EventUpdate::title, text().optional())
          .field("description", &EventUpdate::description, text().nullable())
          .field("start_time", &EventUpdate::start_time, date_time().optional())
          .field("end_time", &EventUpdate::end_time, date_time().optional())
          .field("location", &EventUpdate::location, text().nullable())
          .field("is_recurring", &EventUpdate::is_recurring, boolean().optional());
  return m;
}

const Model<Batch>& batch() {
  static const Model<Batch> m =
      Model<Batch>("EventBatch").field("events", &Batch::events, list_of(nested(event_create())).min_length(1));
  return m;
}

const Model<Share>& share() {
  static const Model<Share> m =
      Model<Share>("EventShare").field("user_id", &Share::user_id, integer()).field("role", &Share::role, roles());
  return m;
}

const Model<RoleChange>& role_change() {
  static const Model<RoleChange> m = Model<RoleChange>("RoleChange").field("role", &RoleChange::role, roles());
  return m;
}

json utc(int64_t us) { return json(format_utc(us)); }
json nullable_text(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

json permissions_of(const Event& e) {
  json out = json::array();
  for (const proj::AclEntry& a : e.acl) out.push_back({{"user_id", a.user_id}, {"role", role_name(a.role)}});
  return out;
}

Shape<Event> make_event_shape(bool with_permissions) {
  Shape<Event> s("Event");
  s.field("id", schema::integer(), [](const Event& e) { return json(e.id); })
      .field("title", schema::string(), [](const Event& e) { return json(e.title); })
      .field("description", schema::nullable(schema::string()), [](const Event& e) { return nullable_text(e.description); })
      .field("start_time", schema::string("date-time"), [](const Event& e) { return utc(e.start); })
      .field("end_time", schema::nullable(schema::string("date-time")),
             [](const Event& e) { return e.end ? utc(*e.end) : json(nullptr); })
      .field("location", schema::nullable(schema::string()), [](const Event& e) { return nullable_text(e.location); })
      .field("is_recurring", schema::boolean(), [](const Event& e) { return json(e.is_recurring); })
      .field("created_by", schema::integer(), [](const Event& e) { return json(e.owner_id); })
      .field("created_at", schema::string("date-time"), [](const Event& e) { return utc(e.created_at); })
      .field("updated_at", schema::string("date-time"), [](const Event& e) { return utc(e.updated_at); });
  if (with_permissions)
    s.field("permissions",
            schema::array({{"type", "object"},
                           {"properties", {{"user_id", schema::integer()},
                                           {"role", schema::enumeration({"OWNER", "EDITOR", "VIEWER"})}}}}),
            permissions_of);
  return s;
}

// A batch answers what its document shows of each event.
const Shape<Event>& batch_item() {
  static const Shape<Event> s =
      Shape<Event>("BatchEvent")
          .field("id", schema::integer(), [](const Event& e) { return json(e.id); })
          .field("title", schema::string(), [](const Event& e) { return json(e.title); })
          .field("start_time", schema::string("date-time"), [](const Event& e) { return utc(e.start); })
          .field("end_time", schema::nullable(schema::string("date-time")),
                 [](const Event& e) { return e.end ? utc(*e.end) : json(nullptr); });
  return s;
}

json share_answer_schema() {
  return {{"title", "EventShareOut"},
          {"type", "object"},
          {"properties",
           {{"event_id", schema::integer()},
            {"user_id", schema::integer()},
            {"role", schema::enumeration({"OWNER", "EDITOR", "VIEWER"})}}}};
}

// An event the caller holds a role on; any other reads as unknown.
std::optional<Event> held(const Exchange& ex, int64_t id) {
  auto e = ex.service.models().event(id);
  if (!e || !role_in(*e, ex.user().user_id)) return std::nullopt;
  return e;
}

const Resource<Event>& events_with_permissions() {
  static const Resource<Event> r{event_shape(true), held, "Event not found"};
  return r;
}

// The command creating `in` for `owner`: a private event of no calendar.
cmd::ScheduleEvent schedule(const EventCreate& in, int64_t owner) {
  cmd::ScheduleEvent c;
  ev::EventScheduledT& e = c.event;
  e.owner_id = owner;
  e.visibility = ev::Visibility::Private;
  e.title = in.title;
  e.start = in.start_time.us;
  e.end = in.end_time.us;
  e.is_recurring = in.is_recurring;
  e.fields = ef::kTitle | ef::kStart | ef::kEnd | ef::kRecurring;
  if (in.description) {
    e.description = *in.description;
    e.fields |= ef::kDescription;
  }
  if (in.location) {
    e.location = *in.location;
    e.fields |= ef::kLocation;
  }
  return c;
}

// Sets `bit` of `changes` from a field that may be null.
void patch(const Patch<std::string>& given, std::string& slot, uint32_t bit, ev::EventUpdatedT& changes) {
  if (!given.present()) return;
  changes.fields |= bit;
  if (given.is_null())
    changes.nulls |= bit;
  else
    slot = given.value;
}

cmd::UpdateEvent update(const EventUpdate& in, int64_t id) {
  cmd::UpdateEvent c;
  c.event_id = id;
  ev::EventUpdatedT& ch = c.changes;
  if (in.title) {
    ch.title = *in.title;
    ch.fields |= ef::kTitle;
  }
  patch(in.description, ch.description, ef::kDescription, ch);
  if (in.start_time) {
    ch.start = in.start_time->us;
    ch.fields |= ef::kStart;
  }
  if (in.end_time) {
    ch.end = in.end_time->us;
    ch.fields |= ef::kEnd;
  }
  patch(in.location, ch.location, ef::kLocation, ch);
  if (in.is_recurring) {
    ch.is_recurring = *in.is_recurring;
    ch.fields |= ef::kRecurring;
  }
  return c;
}

// ---- handlers ---------------------------------------------------------------------

net::awaitable<Response> create_event(Exchange& ex) {
  Input in(ex);
  EventCreate body = in.body(event_create());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  cmd::ScheduleEvent command = schedule(body, ex.user().user_id);
  co_return co_await write(ex, command, held_events(), http::status::created);
}

net::awaitable<Response> list_events(Exchange& ex) {
  static const Spec<ParsedTime> kTime = date_time().optional();
  static const Spec<int64_t> kSkip = integer().at_least(0).optional(0);
  static const Spec<int64_t> kLimit = integer().at_least(1).at_most(1000).optional(100);
  Input in(ex);
  auto from = in.query("start_time", kTime);
  auto to = in.query("end_time", kTime);
  const int64_t skip = in.query("skip", kSkip).value_or(0);
  const int64_t limit = in.query("limit", kLimit).value_or(100);
  if (auto refused = in.refusal()) co_return std::move(*refused);
  proj::EventQuery q;
  q.viewer = ex.user().user_id;
  q.scope = proj::EventScope::kOwnedOrShared;
  if (from) q.overlap_from = from->us;
  if (to) q.overlap_to = to->us;
  q.order = proj::EventOrder::kByStart;
  q.skip = static_cast<size_t>(skip);
  q.limit = static_cast<size_t>(limit);
  proj::Page<Event> page = ex.service.models().events(q);
  co_return reply(ex, http::status::ok, {{"total", page.total}, {"items", event_shape(false).render_list(page.items)}});
}

net::awaitable<Response> get_event(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  co_return show(ex, events_with_permissions(), id);
}

net::awaitable<Response> update_event(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  EventUpdate body = in.body(event_update());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!held(ex, id)) co_return no_such(ex, held_events());
  cmd::UpdateEvent command = update(body, id);
  co_return co_await write(ex, command, held_events(), http::status::ok, id);
}

net::awaitable<Response> delete_event(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!held(ex, id)) co_return no_such(ex, held_events());
  cmd::DeleteEvent command{id};
  co_return co_await write(ex, command, held_events(), http::status::no_content, id);
}

// Gives `user_id` `role` on the event; answers {event_id, user_id, role}.
net::awaitable<Response> grant(Exchange& ex, int64_t id, int64_t user_id, ev::Role role) {
  if (!held(ex, id)) co_return no_such(ex, held_events());
  cmd::ShareEvent command{id, user_id, role};
  cmd::CommandResult r = co_await submit(ex, command);
  if (!r.status) co_return fail(ex, r.status);
  co_return reply(ex, http::status::ok, {{"event_id", id}, {"user_id", user_id}, {"role", role_name(role)}});
}

net::awaitable<Response> share_event(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  Share body = in.body(share());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  co_return co_await grant(ex, id, body.user_id, body.role);
}

net::awaitable<Response> list_permissions(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto e = held(ex, id);
  if (!e) co_return no_such(ex, held_events());
  co_return with_etag(reply(ex, http::status::ok, permissions_of(*e)), e->version);
}

net::awaitable<Response> set_permission(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  const int64_t user_id = in.path("user_id", ids());
  RoleChange body = in.body(role_change());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  co_return co_await grant(ex, id, user_id, body.role);
}

net::awaitable<Response> remove_permission(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  const int64_t user_id = in.path("user_id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!held(ex, id)) co_return no_such(ex, held_events());
  cmd::UnshareEvent command{id, user_id};
  co_return co_await write(ex, command, held_events(), http::status::no_content, id);
}

net::awaitable<Response> create_batch(Exchange& ex) {
  Input in(ex);
  Batch body = in.body(batch());
  const uint32_t most = ex.service.config().batch_max_events;
  if (body.events.size() > most) {
    Problem p = Problem::at(Problem::kTooLong, ValueType::kList, {"body", "events"});
    p.bound = most;
    in.add(std::move(p));
  }
  if (auto refused = in.refusal()) co_return std::move(*refused);
  cmd::ScheduleEvents command;
  command.events.reserve(body.events.size());
  for (const EventCreate& e : body.events) command.events.push_back(schedule(e, ex.user().user_id));
  cmd::CommandResult r = co_await submit(ex, command);
  if (!r.status) co_return fail(ex, r.status);
  // One append holds every event; read each back.
  json created = json::array();
  for (const Envelope& e : r.events) {
    if (e.payload.type != ev::Payload::EventScheduled) continue;
    if (auto view = ex.service.models().event(e.stream_id)) created.push_back(batch_item().render(*view));
  }
  const size_t n = created.size();
  co_return reply(ex, http::status::created, {{"created", n}, {"events", std::move(created)}});
}

}  // namespace

const Shape<Event>& event_shape(bool with_permissions) {
  static const Shape<Event> plain = make_event_shape(false);
  static const Shape<Event> full = make_event_shape(true);
  return with_permissions ? full : plain;
}

const Resource<Event>& held_events() {
  static const Resource<Event> r{event_shape(false), held, "Event not found"};
  return r;
}

std::optional<ev::Role> role_in(const Event& e, int64_t user) {
  if (e.owner_id == user) return ev::Role::Owner;
  for (const proj::AclEntry& a : e.acl)
    if (a.user_id == user) return a.role;
  return std::nullopt;
}

const char* role_name(ev::Role role) {
  switch (role) {
    case ev::Role::Owner: return "OWNER";
    case ev::Role::Editor: return "EDITOR";
    default: return "VIEWER";
  }
}

void add_event_routes(Routes& routes) {
  routes.post("/api/events", create_event).summary("Create an event").body(event_create()).answers(201, event_shape(false));
  routes.get("/api/events", list_events)
      .summary("The caller's events (owned or shared) overlapping [start_time, end_time), by start")
      .query("start_time", date_time())
      .query("end_time", date_time())
      .query("skip", integer().at_least(0))
      .query("limit", integer().at_least(1).at_most(1000))
      .answers(200, json{{"title", "EventList"},
                         {"type", "object"},
                         {"properties", {{"total", schema::integer()}, {"items", event_shape(false).list_schema()}}}});
  routes.post("/api/events/batch", create_batch)
      .summary("Create several events, all or nothing, in one append")
      .body(batch())
      .answers(201, json{{"title", "BatchResult"},
                         {"type", "object"},
                         {"properties", {{"created", schema::integer()}, {"events", batch_item().list_schema()}}}});
  routes.get("/api/events/{event_id:int}", get_event)
      .summary("An event with its permissions (any role; ETag)")
      .answers(200, event_shape(true));
  routes.put("/api/events/{event_id:int}", update_event)
      .summary("Change some of an event's fields (OWNER or EDITOR; If-Match honoured)")
      .body(event_update())
      .answers(200, event_shape(false));
  routes.del("/api/events/{event_id:int}", delete_event).summary("Delete an event (OWNER)").answers(204);
  routes.post("/api/events/{event_id:int}/share", share_event)
      .summary("Give a user a role on the event (OWNER); sharing again replaces the role")
      .body(share())
      .answers(200, share_answer_schema());
  routes.get("/api/events/{event_id:int}/permissions", list_permissions)
      .summary("Who holds which role (any role)")
      .answers(200, schema::array({{"type", "object"},
                                   {"properties", {{"user_id", schema::integer()}, {"role", schema::string()}}}}));
  routes.put("/api/events/{event_id:int}/permissions/{user_id:int}", set_permission)
      .summary("Set a user's role (OWNER)")
      .body(role_change())
      .answers(200, share_answer_schema());
  routes.del("/api/events/{event_id:int}/permissions/{user_id:int}", remove_permission)
      .summary("Take a user's role away (OWNER; not the owner's own)")
      .answers(204);
}

}  // namespace almanac::api::collab
