// The mcal handlers: authenticate, validate (api/contracts/mcal/wire.*),
// submit one command or read the projections, render.
#include <limits>

#include "api/content.hpp"
#include "api/contracts/mcal/local_user.hpp"
#include "api/contracts/mcal/mcal.hpp"
#include "api/contracts/mcal/wire.hpp"
#include "api/service.hpp"

namespace almanac::api::mcal {

namespace {

constexpr int64_t kDayUs = 86'400'000'000;

Response fail(const Exchange& ex, const ApiError& e) { return render_error(Contract::kMcal, ex.req, e); }

ApiError plain(http::status status, std::string message) {
  return {status, "", std::move(message), {}, json::object()};
}

// A refusal from the domain, as the document phrases it: a duplicate name is
// 400; a stale If-Match is 412; field problems are 422 on that body field.
ApiError domain_error(const Status& s) {
  if (s.code() == Code::kConflict && s.field() == "If-Match")
    return plain(http::status::precondition_failed, s.message());
  if (s.code() == Code::kConflict) return plain(http::status::bad_request, s.message());
  return from_status(s);
}

// The caller's user id: the bearer token's user; without an Authorization
// header, the local user when the server serves calendars anonymously.
net::awaitable<Result<int64_t>> caller(Exchange& ex) {
  if (ex.service.config().anonymous_calendars && ex.req[http::field::authorization].empty())
    co_return co_await local_user(ex.service);
  auto p = ex.service.authenticate(ex);
  if (!p) co_return Result<int64_t>(p.status());
  co_return Result<int64_t>(p->user_id);
}

ApiError auth_error(const Status& s) {
  if (s.code() == Code::kUnauthenticated) return unauthorized_error(s.message());
  return from_status(s);
}

// The envelope of a change to an existing calendar or event, expecting the
// version If-Match names (any version without the header). A header that names
// no version of ours cannot match.
Result<cmd::CommandEnvelope> conditional(const Exchange& ex, cmd::Command command, int64_t user) {
  auto expected = if_match(ex);
  if (!expected) return conflict("If-Match does not name a version of this resource", "If-Match");
  cmd::CommandEnvelope env = ex.service.envelope(ex, std::move(command), user);
  env.expected_version = *expected;
  return env;
}

// The body, or nullopt with an error appended when it does not decode.
std::optional<json> body_of(const Exchange& ex, std::vector<FieldError>& errors) {
  auto body = parse_body(ex.req);
  if (!body) {
    errors.push_back(undecodable_body(body.status().message()));
    return std::nullopt;
  }
  return std::move(*body);
}

std::optional<int64_t> path_id(const Exchange& ex, const char* name, std::vector<FieldError>& errors) {
  const std::string* raw = ex.params.get(name);
  return parse_id(raw ? std::string_view(*raw) : std::string_view(), "path", name, errors);
}

// The caller's calendar `id`, or nullopt (someone else's counts as unknown).
std::optional<proj::CalendarView> own_calendar(Exchange& ex, int64_t user, int64_t id) {
  auto c = ex.service.models().calendar(id);
  if (!c || c->owner_id != user) return std::nullopt;
  return c;
}

std::optional<proj::EventView> own_event(Exchange& ex, int64_t user, int64_t id) {
  auto e = ex.service.models().event(id);
  if (!e || e->owner_id != user) return std::nullopt;
  return e;
}

// The version a command left `stream` at: from its events, else the store's.
uint64_t version_after(Exchange& ex, const cmd::CommandResult& r, StreamId stream) {
  uint64_t v = 0;
  for (const Envelope& e : r.events)
    if (stream_of(e) == stream) v = e.version;
  return v != 0 ? v : ex.service.store().stream_version(stream);
}

Response with_etag(Response res, uint64_t version) {
  res.set(http::field::etag, etag(version));
  return res;
}

constexpr const char* kCalendarNotFound = "Calendar not found";
constexpr const char* kEventNotFound = "Event not found";

}  // namespace

// ---- calendars ------------------------------------------------------------------

net::awaitable<Response> create_calendar(Exchange& ex) {
  auto user = co_await caller(ex);
  if (!user) co_return fail(ex, auth_error(user.status()));
  std::vector<FieldError> errors;
  auto body = body_of(ex, errors);
  CalendarInput in;
  if (body) in = parse_calendar(*body, errors);
  if (!errors.empty()) co_return fail(ex, validation_error(std::move(errors)));

  cmd::CreateCalendar c{*user, in.name, in.color};
  auto env = ex.service.envelope(ex, std::move(c), *user);
  auto r = co_await ex.service.submit(std::move(env));
  if (!r.status) co_return fail(ex, domain_error(r.status));
  const int64_t id = r.events.front().stream_id;
  auto view = ex.service.models().calendar(id);
  if (!view) co_return fail(ex, not_found_error(kCalendarNotFound));
  co_return with_etag(make_response(ex.req, http::status::created, render_calendar(*view)),
                      version_after(ex, r, {Category::Calendar, id}));
}

net::awaitable<Response> list_calendars(Exchange& ex) {
  auto user = co_await caller(ex);
  if (!user) co_return fail(ex, auth_error(user.status()));
  json out = json::array();
  for (const auto& c : ex.service.models().calendars_of(*user)) out.push_back(render_calendar(c));
  co_return make_response(ex.req, http::status::ok, out);
}

net::awaitable<Response> get_calendar(Exchange& ex) {
  auto user = co_await caller(ex);
  if (!user) co_return fail(ex, auth_error(user.status()));
  std::vector<FieldError> errors;
  auto id = path_id(ex, "calendar_id", errors);
  if (!errors.empty()) co_return fail(ex, validation_error(std::move(errors)));
  // The version first: an ETag older than the view can only make a later
  // If-Match stricter, never let a write through on a state not seen.
  const uint64_t version = ex.service.store().stream_version({Category::Calendar, *id});
  auto view = own_calendar(ex, *user, *id);
  if (!view) co_return fail(ex, not_found_error(kCalendarNotFound));
  co_return with_etag(make_response(ex.req, http::status::ok, render_calendar(*view)), version);
}

net::awaitable<Response> update_calendar(Exchange& ex) {
  auto user = co_await caller(ex);
  if (!user) co_return fail(ex, auth_error(user.status()));
  std::vector<FieldError> errors;
  auto id = path_id(ex, "calendar_id", errors);
  auto body = body_of(ex, errors);
  CalendarInput in;
  if (body) in = parse_calendar(*body, errors);
  if (!errors.empty()) co_return fail(ex, validation_error(std::move(errors)));
  if (!own_calendar(ex, *user, *id)) co_return fail(ex, not_found_error(kCalendarNotFound));
  auto env = conditional(ex, cmd::UpdateCalendar{*id, in.name, in.color}, *user);
  if (!env) co_return fail(ex, domain_error(env.status()));
  auto r = co_await ex.service.submit(std::move(*env));
  if (!r.status) co_return fail(ex, domain_error(r.status));
  auto view = ex.service.models().calendar(*id);
  if (!view) co_return fail(ex, not_found_error(kCalendarNotFound));
  co_return with_etag(make_response(ex.req, http::status::ok, render_calendar(*view)),
                      version_after(ex, r, {Category::Calendar, *id}));
}

net::awaitable<Response> delete_calendar(Exchange& ex) {
  auto user = co_await caller(ex);
  if (!user) co_return fail(ex, auth_error(user.status()));
  std::vector<FieldError> errors;
  auto id = path_id(ex, "calendar_id", errors);
  if (!errors.empty()) co_return fail(ex, validation_error(std::move(errors)));
  if (!own_calendar(ex, *user, *id)) co_return fail(ex, not_found_error(kCalendarNotFound));
  auto env = conditional(ex, cmd::DeleteCalendar{*id}, *user);
  if (!env) co_return fail(ex, domain_error(env.status()));
  auto r = co_await ex.service.submit(std::move(*env));
  if (!r.status) co_return fail(ex, domain_error(r.status));
  co_return make_empty(ex.req, http::status::no_content);
}

// ---- events ---------------------------------------------------------------------

net::awaitable<Response> create_event(Exchange& ex) {
  auto user = co_await caller(ex);
  if (!user) co_return fail(ex, auth_error(user.status()));
  std::vector<FieldError> errors;
  auto calendar_id = path_id(ex, "calendar_id", errors);
  auto body = body_of(ex, errors);
  EventInput in;
  if (body) in = parse_event(*body, errors);
  if (!errors.empty()) co_return fail(ex, validation_error(std::move(errors)));
  if (!own_calendar(ex, *user, *calendar_id)) co_return fail(ex, not_found_error(kCalendarNotFound));

  auto env = ex.service.envelope(ex, schedule_command(in, *user, *calendar_id), *user);
  auto r = co_await ex.service.submit(std::move(env));
  if (!r.status) co_return fail(ex, domain_error(r.status));
  const int64_t id = r.events.front().stream_id;
  auto view = ex.service.models().event(id);
  if (!view) co_return fail(ex, not_found_error(kEventNotFound));
  co_return with_etag(make_response(ex.req, http::status::created, render_event(*view)),
                      version_after(ex, r, {Category::Event, id}));
}

net::awaitable<Response> get_event(Exchange& ex) {
  auto user = co_await caller(ex);
  if (!user) co_return fail(ex, auth_error(user.status()));
  std::vector<FieldError> errors;
  auto id = path_id(ex, "event_id", errors);
  if (!errors.empty()) co_return fail(ex, validation_error(std::move(errors)));
  const uint64_t version = ex.service.store().stream_version({Category::Event, *id});
  auto view = own_event(ex, *user, *id);
  if (!view) co_return fail(ex, not_found_error(kEventNotFound));
  co_return with_etag(make_response(ex.req, http::status::ok, render_event(*view)), version);
}

net::awaitable<Response> update_event(Exchange& ex) {
  auto user = co_await caller(ex);
  if (!user) co_return fail(ex, auth_error(user.status()));
  std::vector<FieldError> errors;
  auto id = path_id(ex, "event_id", errors);
  auto body = body_of(ex, errors);
  EventInput in;
  if (body) in = parse_event(*body, errors);
  if (!errors.empty()) co_return fail(ex, validation_error(std::move(errors)));
  if (!own_event(ex, *user, *id)) co_return fail(ex, not_found_error(kEventNotFound));
  auto env = conditional(ex, update_command(in, *id), *user);
  if (!env) co_return fail(ex, domain_error(env.status()));
  auto r = co_await ex.service.submit(std::move(*env));
  if (!r.status) co_return fail(ex, domain_error(r.status));
  auto view = ex.service.models().event(*id);
  if (!view) co_return fail(ex, not_found_error(kEventNotFound));
  co_return with_etag(make_response(ex.req, http::status::ok, render_event(*view)),
                      version_after(ex, r, {Category::Event, *id}));
}

net::awaitable<Response> delete_event(Exchange& ex) {
  auto user = co_await caller(ex);
  if (!user) co_return fail(ex, auth_error(user.status()));
  std::vector<FieldError> errors;
  auto id = path_id(ex, "event_id", errors);
  if (!errors.empty()) co_return fail(ex, validation_error(std::move(errors)));
  if (!own_event(ex, *user, *id)) co_return fail(ex, not_found_error(kEventNotFound));
  auto env = conditional(ex, cmd::DeleteEvent{*id}, *user);
  if (!env) co_return fail(ex, domain_error(env.status()));
  auto r = co_await ex.service.submit(std::move(*env));
  if (!r.status) co_return fail(ex, domain_error(r.status));
  co_return make_empty(ex.req, http::status::no_content);
}

// ---- expanded occurrences ----------------------------------------------------------

net::awaitable<Response> expanded_events(Exchange& ex) {
  auto user = co_await caller(ex);
  if (!user) co_return fail(ex, auth_error(user.status()));
  std::vector<FieldError> errors;
  RangeInput range = parse_range(ex.query_value("start_date"), ex.query_value("end_date"),
                                 ex.query_value("calendar_id"), errors);
  if (!errors.empty()) co_return fail(ex, validation_error(std::move(errors)));
  if (range.start_day > range.end_day)
    co_return fail(ex, plain(http::status::bad_request, "start_date cannot be after end_date"));
  const uint32_t max_days = ex.service.config().expand_max_days;
  const int64_t days = int64_t{range.end_day} - range.start_day + 1;
  if (days > max_days)
    co_return fail(ex, plain(http::status::bad_request,
                             "Date range too long: at most " + std::to_string(max_days) +
                                 " days from start_date to end_date inclusive"));

  proj::OccurrenceQuery q;
  q.owner_id = *user;
  q.calendar_id = range.calendar_id;
  q.window_start = int64_t{range.start_day} * kDayUs;
  q.window_end = (int64_t{range.end_day} + 1) * kDayUs;
  q.cap = proj::kDefaultOccurrenceCap;
  proj::OccurrencePage page = ex.service.models().occurrences(q);
  Response res;
  if (wants_msgpack(ex.req)) {
    json out = json::array();
    for (const auto& o : page.items) out.push_back(render_occurrence(o));
    res = make_response(ex.req, http::status::ok, out);
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
