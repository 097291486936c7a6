// An event's history, from its own stream: the event as it was at each
// version. The log is the history (every change is an event on the stream),
// so nothing is stored for it: a caller reads the stream (EventStore::
// read_stream) and folds it here, with the events model's own apply, so a
// past state is exactly what the read model showed at that version.
//
// Pure: no I/O, no state kept between calls; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "events/event.hpp"
#include "projections/views.hpp"

namespace almanac::proj {

struct EventVersionView {
  uint64_t version = 0;
  int64_t recorded_at = 0;
  int64_t actor_id = 0;
  ev::Payload type = ev::Payload::NONE;
  // The event after this version; nullopt once it is deleted.
  std::optional<EventView> state;
};

// One entry per envelope of `stream` (the envelopes of one event's stream,
// in version order).
std::vector<EventVersionView> event_history(std::span<const Envelope> stream);

}  // namespace almanac::proj
