// collab's notifications: the list, read marks and the notification socket.
#pragma once

#include "api/routes.hpp"

namespace almanac::api::collab {

void add_notification_routes(Routes& routes);

}  // namespace almanac::api::collab
