// The checks both stores make on a transaction before appending it.
#pragma once

#include <functional>
#include <string>

#include "events/event_store.hpp"

namespace almanac::storage {

// "event/3": a stream as error messages name it.
std::string stream_text(StreamId s);

// Checks one transaction, all or nothing: every event names a stream category
// and carries a payload, and each expected version equals its stream's version
// counting the transaction's earlier events. `version_of(stream, expected)`
// gives a stream's version before the transaction (the store's, advanced by
// earlier transactions of the same batch); it is told the version the
// transaction expects, so that it may confirm that one rather than look the
// version up. Its errors are passed on. InvalidArgument
// or Conflict naming the event and stream otherwise.
Status check_transaction(const Transaction& tx,
                         const std::function<Result<uint64_t>(StreamId, uint64_t)>& version_of);

}  // namespace almanac::storage
