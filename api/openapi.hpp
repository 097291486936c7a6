// The OpenAPI 3.1 description of the server, generated from the route table
// (Router::routes()) at request time, so every route anyone adds appears in
// it with no change here.
//
// Per route: the path with its parameters typed from the pattern ({id:int}
// -> integer, {id:uuid} -> string/uuid, {id} -> string), the method, the
// summary, request and response schemas and query parameters from RouteDoc,
// the owning contract as the tag, bearer security from the route's caller, and the
// owning contract's error body as the default response. WebSocket endpoints
// are GET operations answering 101, marked "x-websocket": true.
//
// Two routes can map to one OpenAPI path (the spec treats "/a/{id}" and
// "/a/{key}" as the same path), e.g. an int route of one contract and a uuid
// route of another: they become one operation whose parameter schema is the
// anyOf of both types. Every operation lists the exact route patterns it
// covers in "x-almanac-routes" ([{"pattern", "contract"}]), so a client can
// check the document against the server's routing.
#pragma once

#include "api/router.hpp"

namespace almanac::api {

// The document for `router`. Pure: the same routes give the same bytes.
json openapi_document(const Router& router);

// GET /openapi.json.
net::awaitable<Response> openapi_json(Exchange& ex);

}  // namespace almanac::api
