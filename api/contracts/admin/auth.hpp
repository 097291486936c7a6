// admin's authentication routes (/api/v1/auth/register, /api/v1/auth/login,
// no trailing slash): both answer {access_token, token_type}. The flows are
// api/auth_flows.hpp.
#pragma once

#include "api/routes.hpp"

namespace almanac::api::admin {

void add_auth_routes(Routes& routes);

}  // namespace almanac::api::admin
