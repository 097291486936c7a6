// The realtime hub: the writer publishes each committed batch here; every
// WebSocket session that subscribed gets it (as one shared, immutable batch)
// and translates it into its own messages. The hub copies its listeners under
// its mutex and calls them outside it; a listener must only post to its own
// session's executor and return.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "events/event.hpp"

namespace almanac::api {

using SharedBatch = std::shared_ptr<const std::vector<Envelope>>;
using HubListener = std::function<void(const SharedBatch&)>;

class Hub {
 public:
  // Returns a subscription id for unsubscribe(). `on_shutdown` is called once
  // when the server shuts down (sessions close with 1001, going away); at once
  // (on the calling thread) when it already has.
  uint64_t subscribe(HubListener listener, std::function<void()> on_shutdown = {});
  void unsubscribe(uint64_t id);
  // Called by the writer (one batch at a time, in log order) after each commit.
  void publish(std::span<const Envelope> batch);
  size_t subscribers() const;
  // Tells every subscriber the server is going away.
  void shutdown();
  // Position of the last published event (0 before any).
  uint64_t published_position() const;

 private:
  mutable std::mutex mu_;
  uint64_t next_id_ = 1;                                         // guarded by mu_
  struct Subscriber {
    std::shared_ptr<HubListener> listener;
    std::function<void()> on_shutdown;
  };
  std::unordered_map<uint64_t, Subscriber> listeners_;          // guarded by mu_
  uint64_t published_ = 0;                                       // guarded by mu_
  bool shut_down_ = false;                                       // guarded by mu_
};

}  // namespace almanac::api
