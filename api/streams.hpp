// The native event stream (docs/streams.md): the log over HTTP for audit and
// replay tools, and a WebSocket that catches up from a position and then
// follows the log live with no gap and no duplicate.
//
//   GET /streams/all?from=P&limit=N       superuser; events after position P
//   GET /streams/{category}/{id}?from=V   the entity's viewers; events after version V
//   WS  /streams/live?from=P              superuser; every event after P, then live
//
// JSON {"events":[...],"next":P} by default, NDJSON (one event per line) with
// "Accept: application/x-ndjson". Reads and rendering run on the blocking
// pool, never on an IO thread. The handlers hold no state; who may call them
// is declared with their routes (api/contracts/native/).
#pragma once

#include <cstdint>
#include <optional>

#include "api/router.hpp"
#include "api/service.hpp"

namespace almanac::api {

// Events per page when the client gives no limit, and the most it may ask for
// (larger limits are lowered to it).
inline constexpr uint64_t kStreamDefaultLimit = 100;
inline constexpr uint64_t kStreamMaxLimit = 1000;

namespace streams {

net::awaitable<Response> all(Exchange& ex);
net::awaitable<Response> entity(Exchange& ex);
// The WebSocket endpoint of /streams/live.
net::awaitable<WsAdmission> live(Exchange& ex);

// The `from` and `limit` query parameters of a page.
const Spec<int64_t>& from_param();
const Spec<int64_t>& limit_param();

// Whether `who` may read the stream (category, id): superusers every stream;
// a user their own user, session and notification streams, the events they
// can view, the tasks and polls of those events (and tasks they created or
// are assigned), their calendars and inbox items. Reads the read models only.
bool may_read(Service& service, const Principal& who, StreamId stream);

}  // namespace streams
}  // namespace almanac::api
