// admin's user administration (/api/v1/users/): the list for superusers, one
// account for the user themself or a superuser, its update and its deletion.
// The rules are the commands' (UpdateAccount, DeleteUser); the flows
// api/auth_flows.hpp; docs/contracts/admin.md the decisions.
#pragma once

#include "api/routes.hpp"

namespace almanac::api::admin {

void add_user_routes(Routes& routes);

}  // namespace almanac::api::admin
