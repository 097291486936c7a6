// flowstate's account routes (/users/register, /users/login, /users/me,
// /users/request-password-reset, /users/reset-password): UUID user ids, an
// ETag on GET /users/me and If-Match on PUT. The flows are api/auth_flows.hpp.
#pragma once

#include "api/routes.hpp"

namespace almanac::api::flowstate {

void add_auth_routes(Routes& routes);

}  // namespace almanac::api::flowstate
