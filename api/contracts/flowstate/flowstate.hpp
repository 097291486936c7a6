// The flowstate contract (seeds/001_283d3d3067dfcd74.txt): users with UUID
// ids, events with categories and time conflicts, the inbox and the sync
// socket, in FastAPI's shapes. docs/contracts/flowstate.md records what the
// document leaves open.
#pragma once

#include "api/contract.hpp"

namespace almanac::api::flowstate {

const Contract& contract();

}  // namespace almanac::api::flowstate
