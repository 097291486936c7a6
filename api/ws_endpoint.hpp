// What a WebSocket endpoint gives the shared layer (api/ws_session.hpp runs
// the connection): on an upgrade request that dispatch admitted (routed,
// caller identified as the route declares, rate-limited), the endpoint's open
// function runs on the connection's strand and answers with a WsAdmission:
//
//   WsConnection  accept: the callbacks of this connection (they may capture
//                 per-connection state), which the session calls on its strand
//   WsRefusal     refuse: an error in the route's contract shape instead of the
//                 handshake, or, for endpoints whose document says so, a close
//                 code right after it
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "api/dialect.hpp"
#include "api/hub.hpp"
#include "api/identity.hpp"

namespace almanac::api {

struct Exchange;
class WsSession;

// One outbound text message. `position` is the log position it reports (0:
// none); the session remembers the last one written (last_written_position).
struct WsMessage {
  std::string text;
  uint64_t position = 0;
};

// A heartbeat in the endpoint's own messages, for documents that specify one
// on top of the protocol's ping frames: every `interval` the session sends
// `ping`; when no pong was reported (WsSession::pong(), which the endpoint
// calls on the client's answer) within `timeout` of the first ping still
// unanswered, the session closes with `close_code` and `close_reason`.
struct WsHeartbeat {
  std::chrono::milliseconds interval{0};  // zero: no heartbeat
  std::chrono::milliseconds timeout{0};
  std::string ping;
  uint16_t close_code = 0;
  std::string close_reason;
};

// An admitted connection: who it is and what the endpoint does with it. The
// callbacks run on the session's strand only, one at a time.
struct WsConnection {
  Principal principal;   // user_id 0: anonymous
  // Messages for one committed batch (possibly none). Required.
  std::function<std::vector<WsMessage>(WsSession&, const SharedBatch&)> translate;
  // A text message from the client. Optional (ignored when empty).
  std::function<void(WsSession&, std::string text)> on_message;
  // Once, after the handshake and the hub subscription, before any batch.
  std::function<void(WsSession&)> on_open;
  // The close reason after an overflow. Optional: "too slow: more than N
  // messages queued" when empty. At most 123 bytes are sent.
  std::function<std::string(WsSession&)> overflow_reason;
  // Optional (none when its interval is zero).
  WsHeartbeat heartbeat;
};

// A refused connection. With close_code == 0, the handshake is answered with
// `error` as an HTTP response in the route's contract shape; otherwise the
// handshake is accepted and the connection closed at once with close_code and
// close_reason.
struct WsRefusal {
  ApiError error;
  uint16_t close_code = 0;
  std::string close_reason;
};

using WsAdmission = std::variant<WsConnection, WsRefusal>;

}  // namespace almanac::api
