// gather's authentication routes (/api/v1/auth/*/, trailing slash):
// registration and login that answer {access, refresh, user}, rotating
// refresh, logout of a refresh token, and the profile (JSON; the avatar is a
// string here). Errors {"error","message","details","timestamp"}. The flows
// are api/auth_flows.hpp.
#pragma once

#include "api/router.hpp"

namespace almanac::api::gather {

// POST /api/v1/auth/register/ -> 201 {access, refresh, user{id, username, email, first_name, last_name, date_joined}}
net::awaitable<Response> register_user(Exchange& ex);
// POST /api/v1/auth/login/ {username (or email), password} -> {access, refresh, user}
net::awaitable<Response> login(Exchange& ex);
// POST /api/v1/auth/refresh/ {refresh} -> {access, refresh} (rotated)
net::awaitable<Response> refresh(Exchange& ex);
// POST /api/v1/auth/logout/ (bearer) {refresh} -> {"message": "Successfully logged out"}
net::awaitable<Response> logout(Exchange& ex);
// GET /api/v1/auth/profile/ -> the profile, ETag
net::awaitable<Response> get_profile(Exchange& ex);
// PUT /api/v1/auth/profile/ {first_name?, last_name?, bio?, avatar?} -> the profile; If-Match honoured
net::awaitable<Response> update_profile(Exchange& ex);

RouteDoc register_doc();
RouteDoc login_doc();
RouteDoc refresh_doc();
RouteDoc logout_doc();
RouteDoc get_profile_doc();
RouteDoc update_profile_doc();

}  // namespace almanac::api::gather
