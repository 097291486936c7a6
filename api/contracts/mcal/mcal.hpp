// The mcal contract (seeds/002): calendars, their events and the expanded
// occurrence view, in the paths, fields, status codes and FastAPI error
// shapes of its document. docs/contracts/mcal.md records what the document
// leaves open.
//
// Every handler authenticates first (bearer token; without one, the local
// user when the server runs with --anonymous-calendars), then validates the
// path, query and body (422 with every problem found), then submits one
// command or reads the projections. A user sees only their own calendars and
// events: another user's id answers 404, as an unknown one does.
#pragma once

#include "api/router.hpp"

namespace almanac::api::mcal {

// POST /calendars/, GET /calendars/
net::awaitable<Response> create_calendar(Exchange& ex);
net::awaitable<Response> list_calendars(Exchange& ex);
// GET, PUT, DELETE /calendars/{calendar_id}/
net::awaitable<Response> get_calendar(Exchange& ex);
net::awaitable<Response> update_calendar(Exchange& ex);
net::awaitable<Response> delete_calendar(Exchange& ex);
// POST /calendars/{calendar_id}/events/
net::awaitable<Response> create_event(Exchange& ex);
// GET, PUT, DELETE /events/{event_id}/
net::awaitable<Response> get_event(Exchange& ex);
net::awaitable<Response> update_event(Exchange& ex);
net::awaitable<Response> delete_event(Exchange& ex);
// GET /events/expanded/?start_date=&end_date=[&calendar_id=]
net::awaitable<Response> expanded_events(Exchange& ex);

// OpenAPI schemas of the document's models.
json calendar_schema();
json calendar_create_schema();
json event_schema();
json event_create_schema();
json occurrence_list_schema();
json calendar_list_schema();

}  // namespace almanac::api::mcal
