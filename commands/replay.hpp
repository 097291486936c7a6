// Replay: reads the log from a position and feeds decoded events, in batches
// and in order, to one or more sinks (the write state, the read models).
// Decoding runs on its own thread, ahead of the sinks, and each sink runs on a
// thread of its own, so on a multi-core machine they overlap. Every sink sees
// every batch, in log order; sinks must not share mutable state.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "events/event_store.hpp"

namespace almanac::cmd {

struct ReplayStats {
  uint64_t events = 0;
  uint64_t streams = 0;       // streams whose first event was replayed
  uint64_t last_position = 0;
  double seconds = 0;
  // CPU seconds spent by the decoding thread and by each sink's thread: where
  // the time goes when replay is slower than the machine's cores allow.
  double decode_cpu_seconds = 0;
  std::vector<double> sink_cpu_seconds;
  double events_per_second() const { return seconds > 0 ? events / seconds : 0; }
};

struct ReplayOptions {
  uint64_t from = 1;                        // first position
  uint64_t to = 0;                          // last position, 0: the head at start
  size_t batch = 512;                       // events handed to the sink at once
  // How far the decoder may run ahead of the slowest sink, in events (some
  // tens of MB at the default): on two cores shared by three threads, a long
  // queue lets the scheduler keep both busy where a short one stalls them in
  // turn (docs/benchmarks.md, bench/replay). At least two batches.
  size_t ahead = 64 * 1024;
  // Called about once a second from the sink's thread: (done, total).
  std::function<void(uint64_t, uint64_t)> progress;
};

using ReplaySink = std::function<void(std::span<const Envelope>)>;

// Feeds every event in [from, to] to each of `sinks`. DataLoss when an entry
// does not decode or positions are not contiguous; the sinks have then seen
// every event before the damaged one.
Result<ReplayStats> replay(const EventStore& store, const ReplayOptions& options,
                           const std::vector<ReplaySink>& sinks);

inline Result<ReplayStats> replay(const EventStore& store, const ReplayOptions& options,
                                  const ReplaySink& sink) {
  return replay(store, options, std::vector<ReplaySink>{sink});
}

}  // namespace almanac::cmd
