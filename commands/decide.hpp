// decide(): the pure heart of the write side.
//
// decide(state, command, clock, ids) -> Decision. No I/O, no globals: the same
// inputs always give the same output, which is what makes replay exact.
// apply(state, event) folds a committed (or, inside a writer batch, a decided)
// event into the write-side state that decide() reads.
#pragma once

#include <vector>

#include "commands/command.hpp"
#include "commands/state.hpp"
#include "events/clock.hpp"
#include "events/event_store.hpp"

namespace almanac::cmd {

struct Decision {
  // Events to append, in order, each with the stream's expected version.
  std::vector<PendingEvent> events;
  // Ok, or why the command is refused. A refusal normally carries no events;
  // RefreshSession reuse is the exception: it appends the revocation and
  // still reports Unauthenticated.
  Status status;
};

Decision decide(const WriteState& state, const CommandEnvelope& command, Clock& clock,
                IdSource& ids);

// Folds one event into the write state. Events must come in log order.
void apply(WriteState& state, const Envelope& event);

}  // namespace almanac::cmd
