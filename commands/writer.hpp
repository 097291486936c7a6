// The single writer: decide + append + apply, in one order, for everyone.
//
// Any thread submits commands; the writer drains whatever is queued into one
// batch, decides each command against state that already includes the earlier
// commands of the batch, appends the whole batch with one durable write (group
// commit), then, in order: runs the apply hooks (read models) and completes
// the callers, a chunk of commands at a time (each caller can read their own
// write), then runs the publish hooks (subscribers). No command is
// acknowledged before its events are durable.
//
// Three threads share the work as a pipeline. The deciding thread owns the
// write state: it drains, decides and has the store prepare (check and
// encode) batch N+2 while the committing thread makes batch N+1 durable and
// the finishing thread applies batch N to the read models, completes its
// callers and publishes it. Batch N+2 is decided a few commands at a time,
// each chunk on its own and then joined to the batch waiting for its commit:
// that batch is never held away from the committing thread while a chunk is
// decided, so a commit can start as soon as the one before it ends. Each
// batch is decided against state that already holds the batches before it,
// which is safe because nothing after a failed batch is ever committed
// (below). A command whose idempotency key is in a
// batch still being committed waits for that commit, then gets the result as
// a duplicate.
//
// Failure: if the store refuses a batch (I/O error, full disk) the write state
// already holds the batch's tentative events (and the next batch's), so the
// writer stops accepting writes: every pending and later command gets
// Unavailable until restart, where replay rebuilds the state from what is
// durable.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "commands/command.hpp"
#include "commands/command_sink.hpp"
#include "commands/state.hpp"
#include "events/clock.hpp"
#include "events/event_store.hpp"

namespace almanac::cmd {

// Called by the writer with committed events in log order, one call at a
// time: on its finishing thread, or on its deciding thread for a lone command
// with nothing else in flight. Apply hooks may get a batch in several
// consecutive slices (the callers of each slice are completed after it);
// publish hooks get each batch whole.
using BatchHook = std::function<void(std::span<const Envelope>)>;

struct WriterStats {
  uint64_t batches = 0;
  uint64_t commands = 0;
  uint64_t events = 0;
};

class Writer final : public CommandSink {
 public:
  struct Options {
    // A batch waiting for its commit takes no more commands once it holds
    // this many.
    size_t max_batch = 4096;
  };

  // `store`, `state`, `clock` and `ids` must outlive the writer; from start()
  // on, only the deciding thread touches `state`, `clock` and `ids`.
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

  // Thread-safe. `done` runs on one of the writer's threads: keep it short
  // (post elsewhere). After stop(), completes at once with Unavailable.
  void submit(CommandEnvelope command, Completion done) override;
  std::future<CommandResult> submit(CommandEnvelope command);

  bool failed() const override;
  WriterStats stats() const;

 private:
  struct Item {
    CommandEnvelope command;
    Completion done;
  };
  // What becomes of each item of a batch: a transaction of the batch, an
  // immediate result, or the same result as an earlier item with its key.
  struct Slot {
    int tx = -1;                   // index into the batch's transactions
    int same_as = -1;              // index into the batch's items
    CommandResult result;          // when tx < 0 && same_as < 0
    Status refusal;                // a refusal that still appends (session reuse)
  };
  // One batch on its way from the deciding to the committing thread: a chunk
  // of commands as decided, or several chunks joined.
  struct Stage {
    uint64_t seq = 0;  // of its last chunk: committed, it makes every chunk's keys durable
    std::vector<Item> items;
    std::vector<Slot> slots;
    size_t transactions = 0;
    std::unique_ptr<PreparedAppend> prepared;  // null when nothing is appended
    std::vector<Result<AppendOutcome>> results;  // from the commit; empty if none
  };
  // Committed stages that may wait for the finishing thread.
  static constexpr size_t kCommittedStages = 2;
  // Batches up to this size, with nothing ahead of them and after a batch no
  // larger, are committed and finished by the deciding thread itself.
  static constexpr size_t kInlineBatch = 1;
  // Commands the deciding thread takes from the queue at a time. Each such
  // chunk is offered to the committing thread once decided, so when that
  // thread is idle a burst starts syncing once its first chunk is decided,
  // not once all of it is; when it is busy, the waiting stage just grows.
  static constexpr size_t kDecideChunk = 8;
  // Commands the finishing thread applies to the read models at a time
  // before completing their callers.
  static constexpr size_t kFinishChunk = 8;

  void run_decide();
  void run_commit();
  void run_finish();
  // Decides `items` as a stage of their own, prepared by the store.
  std::unique_ptr<Stage> decide_chunk(std::vector<Item> items);
  // Adds `next`, decided right after `onto`, to it: one commit for both.
  void join(Stage& onto, Stage& next);
  void commit_stage(Stage& stage);
  void finish_stage(Stage& stage);
  // Sets a transaction's result from the commit's, and moves its events, if
  // newly committed, onto `committed`.
  static void settle(Slot& slot, std::vector<Result<AppendOutcome>>& results, std::vector<Envelope>& committed);
  // Sets a flag guarded by stage_mu_ and wakes the other threads.
  void announce(bool& done);
  // Deciding thread: blocks until stage `seq` has been committed (or refused).
  void wait_committed(uint64_t seq);

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

  // The hand-overs between the threads: at most one decided stage waits while
  // another commits; committed stages queue for the finishing thread.
  // Each thread waits on its own condition variable, so that a hand-over
  // wakes only the thread it concerns.
  std::mutex stage_mu_;
  std::condition_variable decide_cv_;
  std::condition_variable commit_cv_;
  std::condition_variable finish_cv_;
  std::unique_ptr<Stage> ready_;                  // guarded by stage_mu_
  std::deque<std::unique_ptr<Stage>> committed_;  // guarded by stage_mu_
  bool deciding_done_ = false;                    // guarded by stage_mu_
  bool committing_done_ = false;                  // guarded by stage_mu_
  uint64_t committed_seq_ = 0;                    // guarded by stage_mu_
  uint64_t finished_seq_ = 0;                     // guarded by stage_mu_

  // Deciding thread only.
  uint64_t decided_seq_ = 0;  // chunks decided
  uint64_t next_position_ = 1;
  size_t last_batch_ = 0;  // commands in the stage the last chunk went into
  std::map<std::pair<int64_t, std::string>, uint64_t> keys_in_flight_;  // key -> stage

  std::thread decide_thread_;
  std::thread commit_thread_;
  std::thread finish_thread_;
};

}  // namespace almanac::cmd
