// flowstate's event routes (/api/events/, /api/events/{uuid}): the caller's
// own events by UUID, the half-open time-conflict rule (409), containment
// listing by whole days, and 403 for another user's event.
#pragma once

#include "api/routes.hpp"

namespace almanac::api::flowstate {

void add_event_routes(Routes& routes);

}  // namespace almanac::api::flowstate
