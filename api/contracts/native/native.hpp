// The server's own routes, which no document names: the event log over HTTP
// and WebSocket (docs/streams.md) and /metrics, in FastAPI's shapes. Its 404
// is also the answer for paths no contract claims.
#pragma once

#include "api/contract.hpp"

namespace almanac::api::native {

const Contract& contract();

}  // namespace almanac::api::native
