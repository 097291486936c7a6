// The route table: every path the server answers, in one place.
#pragma once

#include "api/router.hpp"

namespace almanac::api {

// Adds every route of every contract, and the prefix owners that choose the
// error shape for unknown paths.
void register_routes(Router& router);

}  // namespace almanac::api
