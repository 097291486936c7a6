// Every contract the server hosts, in the order their routes are added. The
// first (native) also answers paths no contract claims.
#pragma once

#include <span>

#include "api/contract.hpp"

namespace almanac::api {

std::span<const Contract* const> all_contracts();

}  // namespace almanac::api
