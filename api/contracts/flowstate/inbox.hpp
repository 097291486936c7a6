// flowstate's inbox routes (/api/inbox/...): captured items with a category,
// a priority 1-5 and a status; filtered listing, bulk status changes, and
// convert_to_event, which creates the event and schedules the item in one
// append.
#pragma once

#include "api/routes.hpp"

namespace almanac::api::flowstate {

void add_inbox_routes(Routes& routes);

}  // namespace almanac::api::flowstate
