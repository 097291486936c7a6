// Parts a WebSocket endpoint builds its connection from (api/ws_endpoint.hpp):
//
//   follow_user()   the feed of one signed-in user's domain events: the
//                   committed envelopes that concern the user
//                   (projections/user_feed.hpp), rendered as the native
//                   stream renders them (api/event_json.hpp, secrets left
//                   out) and worded by the endpoint; the connection closes
//                   with 1008 when its own session ends (logout, a new
//                   password, deactivation, deletion), as its token then
//                   stops working.
//   json_messages() an on_message that reads each text message as JSON.
//
// Everything here runs on the session's strand (the WsConnection callbacks).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "api/http.hpp"
#include "api/ws_endpoint.hpp"
#include "events/event.hpp"

namespace almanac::api {

class Service;

// The text of the message for `e`, given its rendering by event_json().
using FeedMessage = std::function<std::string(const Envelope& e, const json& event)>;

// Makes `c` follow the domain events of c.principal (which must be a signed-in
// user): the feed is seeded from the read models when the session opens (after
// its hub subscription, so no batch falls between; the on_open `c` already has
// runs after that), and c.translate turns each batch into messages. Replaces
// c.translate.
void follow_user(WsConnection& c, Service& service, FeedMessage message);

// An on_message for JSON text messages: `on_json` gets each message that
// parses, `on_invalid` each that does not.
std::function<void(WsSession&, std::string)> json_messages(std::function<void(WsSession&, json)> on_json,
                                                           std::function<void(WsSession&)> on_invalid);

}  // namespace almanac::api
