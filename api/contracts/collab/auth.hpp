// collab's authentication routes (/api/auth/*): JSON registration, form
// login, refresh with the refresh token as bearer, logout. Parsing, messages
// and the {"detail":{"code","message",...}} shapes only; the flows are
// api/auth_flows.hpp.
#pragma once

#include "api/router.hpp"

namespace almanac::api::collab {

// POST /api/auth/register -> 201 {id, email, username, created_at}
net::awaitable<Response> register_user(Exchange& ex);
// POST /api/auth/login (form username, password) -> {access_token, refresh_token, token_type}
net::awaitable<Response> login(Exchange& ex);
// POST /api/auth/refresh (Authorization: Bearer <refresh_token>) -> {access_token, token_type}
net::awaitable<Response> refresh(Exchange& ex);
// POST /api/auth/logout (Authorization: Bearer <access_token>) -> 204
net::awaitable<Response> logout(Exchange& ex);

RouteDoc register_doc();
RouteDoc login_doc();
RouteDoc refresh_doc();
RouteDoc logout_doc();

}  // namespace almanac::api::collab
