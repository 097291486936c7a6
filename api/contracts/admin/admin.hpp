// The admin contract (seeds/003_e3ea0330e40c2919.txt): user administration,
// the client WebSocket and the interactive API docs, in FastAPI's shapes with
// Pydantic v1's wording. docs/contracts/admin.md records what the document
// leaves open.
#pragma once

#include "api/contract.hpp"

namespace almanac::api::admin {

const Contract& contract();

}  // namespace almanac::api::admin
