// mcal's handlers: validate (models.hpp), submit one command or read the
// read models, render. Declared for contract.cpp's route table.
#pragma once

#include "api/router.hpp"

namespace almanac::api::mcal {

net::awaitable<Response> create_calendar(Exchange& ex);
net::awaitable<Response> list_calendars(Exchange& ex);
net::awaitable<Response> get_calendar(Exchange& ex);
net::awaitable<Response> update_calendar(Exchange& ex);
net::awaitable<Response> delete_calendar(Exchange& ex);
net::awaitable<Response> create_event(Exchange& ex);
net::awaitable<Response> get_event(Exchange& ex);
net::awaitable<Response> update_event(Exchange& ex);
net::awaitable<Response> delete_event(Exchange& ex);
net::awaitable<Response> expanded_events(Exchange& ex);

}  // namespace almanac::api::mcal
