// Bodies both ways: JSON, MessagePack (application/x-msgpack) and HTML forms in;
// JSON or MessagePack out, by the Accept header. nlohmann/json does both codecs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/http.hpp"
#include "events/status.hpp"

namespace almanac::api {

// The request body as a JSON value: JSON, MessagePack or a form
// (application/x-www-form-urlencoded: an object of strings), chosen by
// Content-Type (JSON when absent). An empty body is null. InvalidArgument,
// with a message a client can act on, when the bytes do not parse, or when a
// string in them is not UTF-8 (MessagePack and forms carry any bytes; the log
// and every rendering of it hold text).
Result<json> parse_body(const Request& req);

// Whether every string and key in `value` is valid UTF-8.
bool is_utf8(const json& value);

// True when the client asked for MessagePack.
bool wants_msgpack(const Request& req);

// A response with `body` encoded as the client asked, keep-alive and version
// taken from `req`.
Response make_response(const Request& req, http::status status, const json& body);

// A response without a body (204, 307).
Response make_empty(const Request& req, http::status status);

// Decodes %XX and '+' in a form or query component.
std::string url_decode(std::string_view s);
// Encodes a query component as HTML forms do: letters, digits and "-._~"
// stay, a space becomes '+', every other byte %XX.
std::string url_encode(std::string_view s);

}  // namespace almanac::api
