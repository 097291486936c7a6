// Where a command goes to be decided: the single writer of this node, or,
// on a node of a cluster, whichever node writes the log (app/cluster.hpp).
// The API layer submits through this interface and never knows which.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <vector>

#include "commands/command.hpp"
#include "events/event.hpp"
#include "events/status.hpp"

namespace almanac::cmd {

struct CommandResult {
  Status status;                  // ok, or the refusal / failure
  std::vector<Envelope> events;   // committed events (the originals for a duplicate)
  bool duplicate = false;         // idempotency key already applied: nothing appended
};

using Completion = std::function<void(CommandResult)>;

class CommandSink {
 public:
  virtual ~CommandSink() = default;
  // Thread-safe. `done` runs once, on a thread of the sink's: keep it short
  // (post elsewhere). When it runs with an ok status, the command's events
  // are durable and the read models of this node hold them.
  virtual void submit(CommandEnvelope command, Completion done) = 0;
  // The same, for a caller that may block: the result through a future.
  // Never wait on it on a thread `done` runs on.
  std::future<CommandResult> submit(CommandEnvelope command) {
    auto promise = std::make_shared<std::promise<CommandResult>>();
    std::future<CommandResult> result = promise->get_future();
    submit(std::move(command), [promise](CommandResult r) { promise->set_value(std::move(r)); });
    return result;
  }
  // True when this node's writes are suspended until a restart (a storage
  // failure of a lone node); a cluster node recovers by itself.
  virtual bool failed() const = 0;
};

}  // namespace almanac::cmd
