// Replay: reads the log from a position and feeds decoded events, in batches
// and in order, to a sink (the write state and the read models). Decoding runs
// on its own thread, ahead of the sink, so the two overlap.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "events/event_store.hpp"

namespace almanac::cmd {

struct ReplayStats {
  uint64_t events = 0;
  uint64_t streams = 0;       // streams whose first event was replayed
  uint64_t last_position = 0;
  double seconds = 0;
  double events_per_second() const { return seconds > 0 ? events / seconds : 0; }
};

struct ReplayOptions {
  uint64_t from = 1;                        // first position
  uint64_t to = 0;                          // last position, 0: the head at start
  size_t batch = 4096;                      // events handed to the sink at once
  // Called about once a second from the sink's thread: (done, total).
  std::function<void(uint64_t, uint64_t)> progress;
};

// Feeds every event in [from, to] to `sink`. DataLoss when an entry does not
// decode or positions are not contiguous; the sink has then seen every event
// before the damaged one.
Result<ReplayStats> replay(const EventStore& store, const ReplayOptions& options,
                           const std::function<void(std::span<const Envelope>)>& sink);

}  // namespace almanac::cmd
