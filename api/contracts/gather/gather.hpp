// The gather contract (seeds/004_6777db2dc7698b02.txt): public gatherings
// with participants, tasks and polls, the health routes and the event feed,
// in Django REST framework's shapes. docs/contracts/gather.md records what
// the document leaves open.
#pragma once

#include "api/contract.hpp"

namespace almanac::api::gather {

const Contract& contract();

}  // namespace almanac::api::gather
