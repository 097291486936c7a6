// admin's WebSocket /api/v1/ws/{client_id}: an echo of every JSON message the
// client sends, and with ?token= the user's own domain events, every message
// in the document's {type, data, timestamp} format. docs/contracts/admin.md
// lists the messages and the close codes.
#pragma once

#include "api/routes.hpp"

namespace almanac::api::admin {

void add_ws_routes(Routes& routes);

}  // namespace almanac::api::admin
