// gather's authentication routes (/api/v1/auth/*/, trailing slash):
// registration and login that answer {access, refresh, user}, rotating
// refresh, logout of a refresh token, and the profile (JSON; the avatar is a
// string here). The flows are api/auth_flows.hpp.
#pragma once

#include "api/routes.hpp"

namespace almanac::api::gather {

void add_auth_routes(Routes& routes);

}  // namespace almanac::api::gather
