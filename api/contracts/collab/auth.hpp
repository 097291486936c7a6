// collab's authentication routes (/api/auth/*): JSON registration, form
// login, refresh with the refresh token as bearer, logout. The flows are
// api/auth_flows.hpp; this is only the document's fields and answers.
#pragma once

#include "api/routes.hpp"

namespace almanac::api::collab {

void add_auth_routes(Routes& routes);

}  // namespace almanac::api::collab
