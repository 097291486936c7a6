// collab's version history, beyond the document: each event's stream is its
// history, so these routes read the stream (on the blocking pool) and fold it
// with the read model's own apply (projections/history.hpp). A version's
// fields are the event as collab shows it; a change is a field whose shown
// value differs between two versions. Rolling back appends an update that
// restores a version's fields: the log is never rewritten.
#include <limits>

#include "api/contracts/collab/events.hpp"
#include "api/handler.hpp"
#include "projections/history.hpp"

namespace almanac::api::collab {

namespace {

using Event = proj::EventView;
using Version = proj::EventVersionView;

// Fields that say when and by whom, not what: left out of changes.
bool bookkeeping(const std::string& field) {
  return field == "id" || field == "created_by" || field == "created_at" || field == "updated_at";
}

// The fields of a version as collab shows them (null once deleted).
json fields_at(const Version& v) { return v.state ? event_shape(true).render(*v.state) : json(nullptr); }

// {field: {old, new}} for every shown field that differs.
json changes(const json& before, const json& after) {
  json out = json::object();
  const json& keys = after.is_null() ? before : after;
  for (auto& [field, value] : keys.items()) {
    if (bookkeeping(field)) continue;
    json old_value = before.is_null() ? json(nullptr) : before.value(field, json(nullptr));
    json new_value = after.is_null() ? json(nullptr) : after.value(field, json(nullptr));
    if (old_value != new_value) out[field] = {{"old", std::move(old_value)}, {"new", std::move(new_value)}};
  }
  return out;
}

const char* action(ev::Payload type) {
  switch (type) {
    case ev::Payload::EventScheduled: return "created";
    case ev::Payload::EventUpdated: return "updated";
    case ev::Payload::EventDeleted: return "deleted";
    case ev::Payload::EventShared: return "shared";
    case ev::Payload::EventUnshared: return "unshared";
    case ev::Payload::ParticipantJoined: return "joined";
    case ev::Payload::ParticipantLeft: return "left";
    default: return "changed";
  }
}

json entry(const Version& v) {
  return {{"version", v.version}, {"changed_at", format_utc(v.recorded_at)}, {"changed_by", v.actor_id},
          {"action", action(v.type)}};
}

const Spec<int64_t>& ids() {
  static const Spec<int64_t> s = integer().greater_than(0);
  return s;
}

// The history of an event the caller holds a role on; nullopt (with the 404
// answered into `refused`) otherwise.
net::awaitable<std::optional<std::vector<Version>>> history_of(Exchange& ex, int64_t id, Response& refused) {
  auto e = ex.service.models().event(id);
  if (!e || !role_in(*e, ex.user().user_id)) {
    refused = fail(ex, not_found("Event not found"));
    co_return std::nullopt;
  }
  const EventStore& store = ex.service.store();
  const StreamId stream{Category::Event, id};
  // The read leaves its result in this frame: the blocking job returns a
  // plain bool (docs/decisions.md, coroutines and temporaries).
  std::vector<Envelope> envelopes;
  Status failure = Status::ok();
  co_await ex.service.run_blocking([&store, stream, &envelopes, &failure] {
    auto read = store.read_stream(stream, 1, std::numeric_limits<uint64_t>::max());
    if (read)
      envelopes = std::move(read.value());
    else
      failure = read.status();
    return true;
  });
  if (!failure) {
    refused = fail(ex, failure);
    co_return std::nullopt;
  }
  co_return proj::event_history(envelopes);
}

// The version `v` of `history`, or nullptr.
const Version* version_in(const std::vector<Version>& history, int64_t v) {
  if (v < 1 || static_cast<uint64_t>(v) > history.size()) return nullptr;
  return &history[static_cast<size_t>(v) - 1];
}

Response version_not_found(const Exchange& ex) { return fail(ex, not_found("Version not found")); }

// Calls f(version, {field: {old, new}} against the version before it) for
// every version, oldest first.
template <typename History, typename F>
void each_change(const History& history, F&& f) {
  json before = nullptr;
  for (const Version& v : history) {
    json after = fields_at(v);
    f(v, changes(before, after));
    before = std::move(after);
  }
}

net::awaitable<Response> list_history(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  Response refused;
  auto history = co_await history_of(ex, id, refused);
  if (!history) co_return refused;
  json out = json::array();
  each_change(*history, [&](const Version& v, const json& changed_values) {
    json changed = json::array();
    for (auto& [field, _] : changed_values.items()) changed.push_back(field);
    json e = entry(v);
    e["changed_fields"] = std::move(changed);
    out.push_back(std::move(e));
  });
  co_return reply(ex, http::status::ok, out);
}

net::awaitable<Response> get_version(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  const int64_t version = in.path("version", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  Response refused;
  auto history = co_await history_of(ex, id, refused);
  if (!history) co_return refused;
  const Version* v = version_in(*history, version);
  if (!v) co_return version_not_found(ex);
  json e = entry(*v);
  e["event"] = fields_at(*v);
  co_return reply(ex, http::status::ok, e);
}

net::awaitable<Response> changelog(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  Response refused;
  auto history = co_await history_of(ex, id, refused);
  if (!history) co_return refused;
  json out = json::array();
  each_change(*history, [&](const Version& v, const json& changed) {
    json e = entry(v);
    e["changes"] = changed;
    out.push_back(std::move(e));
  });
  co_return reply(ex, http::status::ok, out);
}

net::awaitable<Response> diff(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  const int64_t v1 = in.path("v1", ids());
  const int64_t v2 = in.path("v2", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  Response refused;
  auto history = co_await history_of(ex, id, refused);
  if (!history) co_return refused;
  const Version* a = version_in(*history, v1);
  const Version* b = version_in(*history, v2);
  if (!a || !b) co_return version_not_found(ex);
  co_return reply(ex, http::status::ok, {{"changes", changes(fields_at(*a), fields_at(*b))}});
}

net::awaitable<Response> rollback(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("event_id", ids());
  const int64_t version = in.path("version", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  Response refused;
  auto history = co_await history_of(ex, id, refused);
  if (!history) co_return refused;
  const Version* v = version_in(*history, version);
  if (!v || !v->state) co_return version_not_found(ex);
  // Every field collab shows, as it was at that version.
  const Event& then = *v->state;
  namespace ef = event_field;
  cmd::UpdateEvent command;
  command.event_id = id;
  ev::EventUpdatedT& ch = command.changes;
  ch.fields = ef::kTitle | ef::kDescription | ef::kStart | ef::kEnd | ef::kLocation | ef::kRecurring;
  ch.title = then.title;
  if (then.description)
    ch.description = *then.description;
  else
    ch.nulls |= ef::kDescription;
  ch.start = then.start;
  if (then.end)
    ch.end = *then.end;
  else
    ch.nulls |= ef::kEnd;
  if (then.location)
    ch.location = *then.location;
  else
    ch.nulls |= ef::kLocation;
  ch.is_recurring = then.is_recurring;
  co_return co_await write(ex, command, held_events(), http::status::ok, id);
}

}  // namespace

void add_history_routes(Routes& routes) {
  const json entry_schema = {{"type", "object"},
                             {"properties",
                              {{"version", schema::integer()},
                               {"changed_at", schema::string("date-time")},
                               {"changed_by", schema::integer()},
                               {"action", schema::string()}}}};
  json history_item = entry_schema;
  history_item["properties"]["changed_fields"] = schema::array(schema::string());
  json changelog_item = entry_schema;
  changelog_item["properties"]["changes"] = schema::object();
  json version_item = entry_schema;
  version_item["properties"]["event"] = schema::nullable(event_shape(true).schema());

  routes.get("/api/events/{event_id:int}/history", list_history)
      .summary("Every version of the event: when, by whom, what changed (any role)")
      .answers(200, schema::array(history_item));
  routes.get("/api/events/{event_id:int}/history/{version:int}", get_version)
      .summary("The event as it was at a version (null once deleted)")
      .answers(200, version_item);
  routes.get("/api/events/{event_id:int}/changelog", changelog)
      .summary("The changes in order, each {field: {old, new}}")
      .answers(200, schema::array(changelog_item));
  routes.get("/api/events/{event_id:int}/diff/{v1:int}/{v2:int}", diff)
      .summary("What changed between two versions: {changes: {field: {old, new}}}")
      .answers(200, json{{"type", "object"}, {"properties", {{"changes", schema::object()}}}});
  routes.post("/api/events/{event_id:int}/rollback/{version:int}", rollback)
      .summary("Restore a version's fields with a new update (OWNER or EDITOR; the log is never rewritten)")
      .answers(200, event_shape(false));
}

}  // namespace almanac::api::collab
