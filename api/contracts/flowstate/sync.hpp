// flowstate's WebSocket /ws/sync?token=: the {type, payload} envelope, a JSON
// ping/pong heartbeat, ack and error answers to the client's messages, and
// live sync of the user's own events and inbox items whichever contract or
// connection changed them.
#pragma once

#include "api/routes.hpp"

namespace almanac::api::flowstate {

void add_sync_routes(Routes& routes);

}  // namespace almanac::api::flowstate
