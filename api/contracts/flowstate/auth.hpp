// flowstate's account routes (/users/register, /users/login, /users/me):
// FastAPI shapes ({"detail": "..."}, 422 lists), UUID user ids, an ETag on
// GET /users/me and If-Match on PUT. The flows are api/auth_flows.hpp.
#pragma once

#include "api/router.hpp"

namespace almanac::api::flowstate {

// POST /users/register -> 200 UserResponse {id (uuid), username, email}
net::awaitable<Response> register_user(Exchange& ex);
// POST /users/login {username_or_email, password} -> {access_token, token_type}
net::awaitable<Response> login(Exchange& ex);
// GET /users/me -> UserResponse, ETag
net::awaitable<Response> get_me(Exchange& ex);
// PUT /users/me {username?, email?} -> UserResponse, ETag; If-Match honoured
net::awaitable<Response> update_me(Exchange& ex);

RouteDoc register_doc();
RouteDoc login_doc();
RouteDoc get_me_doc();
RouteDoc update_me_doc();

}  // namespace almanac::api::flowstate
