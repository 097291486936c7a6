// The collab contract (seeds/000_602e281ff5751be3.txt): shared events with
// roles, batches and notifications, in the {"detail": {"code", "message",
// "errors"}} shape. docs/contracts/collab.md records what the document
// leaves open.
#pragma once

#include "api/contract.hpp"

namespace almanac::api::collab {

const Contract& contract();

}  // namespace almanac::api::collab
