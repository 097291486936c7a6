// admin's authentication routes (/api/v1/auth/register, /api/v1/auth/login,
// no trailing slash): both answer {access_token, token_type}. FastAPI error
// shapes. The flows are api/auth_flows.hpp.
#pragma once

#include "api/router.hpp"

namespace almanac::api::admin {

// POST /api/v1/auth/register {email, username, password, full_name?} -> {access_token, token_type}
net::awaitable<Response> register_user(Exchange& ex);
// POST /api/v1/auth/login (JSON or form: username (or email), password) -> {access_token, token_type}
net::awaitable<Response> login(Exchange& ex);

RouteDoc register_doc();
RouteDoc login_doc();

}  // namespace almanac::api::admin
