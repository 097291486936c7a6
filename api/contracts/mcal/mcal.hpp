// The mcal contract (seeds/002_0bb3784ec9a3e624.txt): calendars, their
// events and the expanded occurrence view, in FastAPI's shapes.
// docs/contracts/mcal.md records what the document leaves open.
//
// Every route needs a signed-in user; a server started with
// --anonymous-calendars serves a request without credentials as its local
// user (local_user.hpp). A user sees only their own calendars and events:
// another user's id answers 404, as an unknown one does.
#pragma once

#include "api/contract.hpp"

namespace almanac::api::mcal {

const Contract& contract();

}  // namespace almanac::api::mcal
