// The single writer: the one thread that owns decide + append + apply.
//
// Any thread submits commands; the writer drains whatever is queued into one
// batch, decides each command against state that already includes the earlier
// commands of the batch, appends the whole batch with one durable write (group
// commit), then, in order: runs the apply hooks (read models), completes each
// caller (who can therefore read their own write), runs the publish hooks
// (subscribers). No command is acknowledged before its events are durable.
//
// Failure: if the store refuses a batch (I/O error, full disk) the write state
// already holds the batch's tentative events, so the writer stops accepting
// writes: every pending and later command gets Unavailable until restart,
// where replay rebuilds the state from what is durable.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "commands/command.hpp"
#include "commands/state.hpp"
#include "events/clock.hpp"
#include "events/event_store.hpp"

namespace almanac::cmd {

struct CommandResult {
  Status status;                  // ok, or the refusal / failure
  std::vector<Envelope> events;   // committed events (the originals for a duplicate)
  bool duplicate = false;         // idempotency key already applied: nothing appended
};

using Completion = std::function<void(CommandResult)>;
// Called on the writer thread with each committed batch, in log order.
using BatchHook = std::function<void(std::span<const Envelope>)>;

struct WriterStats {
  uint64_t batches = 0;
  uint64_t commands = 0;
  uint64_t events = 0;
};

class Writer {
 public:
  struct Options {
    size_t max_batch = 4096;      // commands drained into one group commit at most
  };

  // `store`, `state`, `clock` and `ids` must outlive the writer; from start()
  // on, only the writer thread touches `state`.
  Writer(EventStore& store, WriteState& state, Clock& clock, IdSource& ids, Options options);
  Writer(EventStore& store, WriteState& state, Clock& clock, IdSource& ids)
      : Writer(store, state, clock, ids, Options{}) {}
  ~Writer();

  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Hooks are registered before start().
  void on_apply(BatchHook hook) { apply_hooks_.push_back(std::move(hook)); }
  void on_publish(BatchHook hook) { publish_hooks_.push_back(std::move(hook)); }

  void start();
  // Stops taking new commands, completes everything already queued, joins.
  void stop();

  // Thread-safe. `done` runs on the writer thread: keep it short (post
  // elsewhere). After stop(), completes at once with Unavailable.
  void submit(CommandEnvelope command, Completion done);
  std::future<CommandResult> submit(CommandEnvelope command);

  bool failed() const;
  WriterStats stats() const;

 private:
  struct Item {
    CommandEnvelope command;
    Completion done;
  };

  void run();
  void process(std::vector<Item>& items);

  EventStore& store_;
  WriteState& state_;
  Clock& clock_;
  IdSource& ids_;
  Options options_;
  std::vector<BatchHook> apply_hooks_;
  std::vector<BatchHook> publish_hooks_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;        // guarded by mu_
  bool stopping_ = false;         // guarded by mu_
  bool failed_ = false;           // guarded by mu_
  WriterStats stats_;             // guarded by mu_
  std::thread thread_;
};

}  // namespace almanac::cmd
