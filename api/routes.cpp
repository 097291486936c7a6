// The route table: every path the server answers, in one place. Handlers live
// with their contract (api/contracts/<name>/); operational routes in
// api/health.* and api/streams.*. Keep each contract's routes in its section.
#include "api/routes.hpp"

#include "api/contracts/admin/auth.hpp"
#include "api/contracts/collab/auth.hpp"
#include "api/contracts/flowstate/auth.hpp"
#include "api/contracts/gather/auth.hpp"
#include "api/contracts/mcal/mcal.hpp"
#include "api/docs_pages.hpp"
#include "api/health.hpp"
#include "api/openapi.hpp"
#include "api/streams.hpp"

namespace almanac::api {

namespace {

using V = http::verb;
using C = Contract;
using A = Access;

Route route(V method, std::string pattern, C contract, A access, Handler handler, RouteDoc doc = {}) {
  Route r;
  r.method = method;
  r.pattern = std::move(pattern);
  r.contract = contract;
  r.access = access;
  r.handler = std::move(handler);
  r.doc = std::move(doc);
  return r;
}

}  // namespace

void register_routes(Router& r) {
  // ---- prefix owners: the error shape of unknown paths ----------------------
  r.set_prefix_owner("/api/auth/", C::kCollab);
  r.set_prefix_owner("/api/events", C::kCollab);
  r.set_prefix_owner("/api/notifications", C::kCollab);
  r.set_prefix_owner("/users/", C::kFlowstate);
  r.set_prefix_owner("/api/inbox/", C::kFlowstate);
  r.set_prefix_owner("/ws/sync", C::kFlowstate);
  r.set_prefix_owner("/calendars/", C::kMcal);
  r.set_prefix_owner("/events/", C::kMcal);
  r.set_prefix_owner("/api/v1/users/", C::kAdmin);
  r.set_prefix_owner("/api/v1/ws/", C::kAdmin);
  r.set_prefix_owner("/api/v1/auth/", C::kGather);
  r.set_prefix_owner("/api/v1/events/", C::kGather);
  r.set_prefix_owner("/api/v1/tasks/", C::kGather);
  r.set_prefix_owner("/api/v1/voting/", C::kGather);
  r.set_prefix_owner("/health", C::kGather);
  r.set_prefix_owner("/ws/events/", C::kGather);
  r.set_prefix_owner("/streams/", C::kNative);

  // ---- operations (gather's health shapes; both slash forms, as DESIGN.md
  //      names them without and the gather document with) --------------------
  for (std::string suffix : {"", "/"}) {
    r.add(route(V::get, "/health" + suffix, C::kGather, A::kUnlimited, health::health,
                {"Basic health status", nullptr, nullptr, 200, {}}));
    r.add(route(V::get, "/health/ready" + suffix, C::kGather, A::kUnlimited, health::ready,
                {"Readiness: the log can be read and written", nullptr, nullptr, 200, {}}));
    r.add(route(V::get, "/health/live" + suffix, C::kGather, A::kUnlimited, health::live,
                {"Liveness", nullptr, nullptr, 200, {}}));
    r.add(route(V::get, "/health/status" + suffix, C::kGather, A::kUnlimited, health::status,
                {"Status dashboard", nullptr, nullptr, 200, {}}));
  }
  r.add(route(V::get, "/metrics", C::kNative, A::kUnlimited, health::metrics,
              {"Prometheus metrics (text exposition format)", nullptr, nullptr, 200, {}}));
  // The API description and its readers (FastAPI's paths, as admin documents
  // them); the readers' files come from this server, never another host.
  r.set_prefix_owner("/docs", C::kAdmin);
  r.set_prefix_owner("/redoc", C::kAdmin);
  r.add(route(V::get, "/openapi.json", C::kAdmin, A::kUnlimited, openapi_json,
              {"This API description (OpenAPI 3.1), generated from the route table", nullptr,
               json{{"type", "object"}, {"required", json::array({"openapi", "info", "paths"})}}, 200, {}}));
  r.add(route(V::get, "/docs", C::kAdmin, A::kUnlimited, docs::swagger_page,
              {"Swagger UI over /openapi.json (HTML)", nullptr, nullptr, 200, {}}));
  r.add(route(V::get, "/redoc", C::kAdmin, A::kUnlimited, docs::redoc_page,
              {"Redoc over /openapi.json (HTML)", nullptr, nullptr, 200, {}}));
  r.add(route(V::get, "/docs/assets/{file}", C::kAdmin, A::kUnlimited, docs::asset,
              {"A file of the API readers (scripts, styles, icons), cached by ETag", nullptr, nullptr, 200, {}}));
  r.add(route(V::get, "/docs/assets/swagger-init.js", C::kAdmin, A::kUnlimited, docs::swagger_init,
              {"The script starting Swagger UI on /openapi.json", nullptr, nullptr, 200, {}}));

  // ---- collab ---------------------------------------------------------------
  r.add(route(V::post, "/api/auth/register", C::kCollab, A::kAuthLimited, collab::register_user, collab::register_doc()));
  r.add(route(V::post, "/api/auth/login", C::kCollab, A::kAuthLimited, collab::login, collab::login_doc()));
  r.add(route(V::post, "/api/auth/refresh", C::kCollab, A::kAuthLimited, collab::refresh, collab::refresh_doc()));
  r.add(route(V::post, "/api/auth/logout", C::kCollab, A::kAuthLimited, collab::logout, collab::logout_doc()));

  // ---- flowstate ------------------------------------------------------------
  r.add(route(V::post, "/users/register", C::kFlowstate, A::kAuthLimited, flowstate::register_user,
              flowstate::register_doc()));
  r.add(route(V::post, "/users/login", C::kFlowstate, A::kAuthLimited, flowstate::login, flowstate::login_doc()));
  r.add(route(V::get, "/users/me", C::kFlowstate, A::kUser, flowstate::get_me, flowstate::get_me_doc()));
  r.add(route(V::put, "/users/me", C::kFlowstate, A::kUser, flowstate::update_me, flowstate::update_me_doc()));

  // ---- mcal -----------------------------------------------------------------
  {
    namespace m = api::mcal;
    // Ids are "{name}" segments: the handlers answer 422 for a non-integer or <= 0.
    r.add(route(V::post, "/calendars/", C::kMcal, A::kUser, m::create_calendar,
                {"Create a calendar", m::calendar_create_schema(), m::calendar_schema(), 201, {}}));
    r.add(route(V::get, "/calendars/", C::kMcal, A::kUser, m::list_calendars,
                {"The caller's calendars", nullptr, m::calendar_list_schema(), 200, {}}));
    r.add(route(V::get, "/calendars/{calendar_id}/", C::kMcal, A::kUser, m::get_calendar,
                {"A calendar (ETag: its version)", nullptr, m::calendar_schema(), 200, {}}));
    r.add(route(V::put, "/calendars/{calendar_id}/", C::kMcal, A::kUser, m::update_calendar,
                {"Rename or recolour a calendar (If-Match honoured)", m::calendar_create_schema(),
                 m::calendar_schema(), 200, {}}));
    r.add(route(V::delete_, "/calendars/{calendar_id}/", C::kMcal, A::kUser, m::delete_calendar,
                {"Delete a calendar and its events (If-Match honoured)", nullptr, nullptr, 204, {}}));
    r.add(route(V::post, "/calendars/{calendar_id}/events/", C::kMcal, A::kUser, m::create_event,
                {"Create an event in a calendar", m::event_create_schema(), m::event_schema(), 201, {}}));
    r.add(route(V::get, "/events/expanded/", C::kMcal, A::kUser, m::expanded_events,
                {"Occurrences overlapping whole days [start_date, end_date]", nullptr,
                 m::occurrence_list_schema(), 200, {"start_date", "end_date", "calendar_id"}}));
    r.add(route(V::get, "/events/{event_id}/", C::kMcal, A::kUser, m::get_event,
                {"An event (ETag: its version)", nullptr, m::event_schema(), 200, {}}));
    r.add(route(V::put, "/events/{event_id}/", C::kMcal, A::kUser, m::update_event,
                {"Replace an event's fields; its calendar stays (If-Match honoured)",
                 m::event_create_schema(), m::event_schema(), 200, {}}));
    r.add(route(V::delete_, "/events/{event_id}/", C::kMcal, A::kUser, m::delete_event,
                {"Delete an event (If-Match honoured)", nullptr, nullptr, 204, {}}));
  }

  // ---- admin ----------------------------------------------------------------
  r.add(route(V::post, "/api/v1/auth/register", C::kAdmin, A::kAuthLimited, admin::register_user, admin::register_doc()));
  r.add(route(V::post, "/api/v1/auth/login", C::kAdmin, A::kAuthLimited, admin::login, admin::login_doc()));

  // ---- gather ---------------------------------------------------------------
  r.add(route(V::post, "/api/v1/auth/register/", C::kGather, A::kAuthLimited, gather::register_user,
              gather::register_doc()));
  r.add(route(V::post, "/api/v1/auth/login/", C::kGather, A::kAuthLimited, gather::login, gather::login_doc()));
  r.add(route(V::post, "/api/v1/auth/refresh/", C::kGather, A::kAuthLimited, gather::refresh, gather::refresh_doc()));
  r.add(route(V::post, "/api/v1/auth/logout/", C::kGather, A::kAuthLimited, gather::logout, gather::logout_doc()));
  r.add(route(V::get, "/api/v1/auth/profile/", C::kGather, A::kUser, gather::get_profile, gather::get_profile_doc()));
  r.add(route(V::put, "/api/v1/auth/profile/", C::kGather, A::kUser, gather::update_profile,
              gather::update_profile_doc()));

  // ---- native event stream --------------------------------------------------
  {
    namespace st = api::streams;
    const std::string limits = " (limit: default " + std::to_string(kStreamDefaultLimit) + ", at most " +
                               std::to_string(kStreamMaxLimit) + ")";
    r.add(route(V::get, "/streams/all", C::kNative, A::kUser, st::all,
                {"The whole log after position `from`, superusers only; JSON {events, next} or NDJSON" + limits,
                 nullptr, json{{"type", "object"}, {"required", json::array({"events", "next"})}}, 200,
                 {"from", "limit"}}));
    Route live = route(V::get, "/streams/live", C::kNative, A::kUser, st::live_without_upgrade,
                       {"WebSocket: every event after position `from`, then live (superusers; ?token=)",
                        nullptr, nullptr, 101, {"from", "token"}});
    live.ws = st::live();
    r.add(std::move(live));
    r.add(route(V::get, "/streams/{category}/{id:int}", C::kNative, A::kUser, st::entity,
                {"One entity's events after version `from`, for its viewers; JSON {events, next} or NDJSON" +
                     limits,
                 nullptr, json{{"type", "object"}, {"required", json::array({"events", "next"})}}, 200,
                 {"from", "limit"}}));
  }
}

}  // namespace almanac::api
