#include "commands/writer.hpp"

#include <pthread.h>

#include <algorithm>
#include <utility>

#include "commands/decide.hpp"

namespace almanac::cmd {

namespace {

Status writes_suspended() {
  return unavailable("writes are suspended after a storage failure; restart the server to recover");
}

// The envelope an accepted transaction will have once appended, so that later
// commands are decided against it.
void apply_tentative(WriteState& state, const Transaction& tx, uint64_t& next_position) {
  for (const PendingEvent& pe : tx.events) {
    Envelope e;
    e.position = next_position++;
    e.category = pe.stream.category;
    e.stream_id = pe.stream.id;
    e.version = pe.expected_version + 1;
    e.recorded_at = tx.recorded_at;
    e.actor_id = tx.actor_id;
    e.payload = pe.payload;
    apply(state, e);
  }
}

}  // namespace

Writer::Writer(EventStore& store, WriteState& state, Clock& clock, IdSource& ids, Options options)
    : store_(store), state_(state), clock_(clock), ids_(ids), options_(options) {}

Writer::~Writer() { stop(); }

void Writer::start() {
  std::lock_guard lock(mu_);
  if (decide_thread_.joinable()) return;
  stopping_ = false;
  {
    std::lock_guard stage_lock(stage_mu_);
    deciding_done_ = false;
    committing_done_ = false;
  }
  finish_thread_ = std::thread([this] { run_finish(); });
  commit_thread_ = std::thread([this] { run_commit(); });
  decide_thread_ = std::thread([this] { run_decide(); });
}

void Writer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  // The deciding thread drains the queue, hands over its last stage and says
  // it is done; the committing thread then commits every stage and says so;
  // the finishing thread then finishes them all.
  if (decide_thread_.joinable()) decide_thread_.join();
  if (commit_thread_.joinable()) commit_thread_.join();
  if (finish_thread_.joinable()) finish_thread_.join();
}

void Writer::submit(CommandEnvelope command, Completion done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && decide_thread_.joinable()) {
      queue_.push_back(Item{std::move(command), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(CommandResult{unavailable("the server is shutting down; retry shortly"), {}, false});
}

std::future<CommandResult> Writer::submit(CommandEnvelope command) {
  auto promise = std::make_shared<std::promise<CommandResult>>();
  auto future = promise->get_future();
  submit(std::move(command), [promise](CommandResult r) { promise->set_value(std::move(r)); });
  return future;
}

bool Writer::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

WriterStats Writer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Writer::run_decide() {
  pthread_setname_np(pthread_self(), "writer");  // shown by top -H, perf, gdb
  for (;;) {
    // A full stage still waiting for the committing thread is left to it.
    {
      std::unique_lock stage_lock(stage_mu_);
      decide_cv_.wait(stage_lock,
                      [&] { return ready_ == nullptr || ready_->items.size() < options_.max_batch; });
    }
    std::vector<Item> items;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping and drained
      const size_t n = std::min({queue_.size(), options_.max_batch, kDecideChunk});
      items.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        items.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (failed()) {
      for (Item& item : items) item.done(CommandResult{writes_suspended(), {}, false});
      continue;
    }

    bool alone = false;  // nothing else decided and not yet finished
    {
      std::lock_guard stage_lock(stage_mu_);
      alone = !ready_ && finished_seq_ == decided_seq_;
      std::erase_if(keys_in_flight_, [&](const auto& kv) { return kv.second <= committed_seq_; });
    }
    // Nothing in flight: take the positions from the store, which is the
    // truth if anyone else appended meanwhile.
    if (alone) next_position_ = store_.head() + 1;
    std::unique_ptr<Stage> chunk = decide_chunk(std::move(items));

    // A lone command with nothing in flight, after another such, is cheaper
    // finished here: two hand-overs would add two thread wake-ups to its
    // latency and save nothing. After a larger batch it goes the usual way:
    // its sync would otherwise hold up the deciding of every command of that
    // batch that comes back meanwhile.
    if (alone && chunk->items.size() <= kInlineBatch && last_batch_ <= kInlineBatch) {
      last_batch_ = chunk->items.size();
      commit_stage(*chunk);
      finish_stage(*chunk);
      std::lock_guard stage_lock(stage_mu_);
      committed_seq_ = finished_seq_ = chunk->seq;
      continue;
    }
    // The chunk joins the stage waiting for the committing thread, when it
    // has not taken it yet: everything that arrives while a batch syncs is
    // written by the next sync.
    {
      std::lock_guard stage_lock(stage_mu_);
      if (ready_)
        join(*ready_, *chunk);
      else
        ready_ = std::move(chunk);
      last_batch_ = ready_->items.size();
    }
    commit_cv_.notify_one();
  }
  announce(deciding_done_);
}

void Writer::run_commit() {
  pthread_setname_np(pthread_self(), "writer-commit");
  for (;;) {
    std::unique_ptr<Stage> stage;
    {
      std::unique_lock stage_lock(stage_mu_);
      commit_cv_.wait(stage_lock, [&] { return ready_ != nullptr || deciding_done_; });
      if (!ready_) break;  // deciding is done and every stage committed
      stage = std::move(ready_);
    }
    decide_cv_.notify_one();  // a full stage was taken: the deciding thread may go on
    commit_stage(*stage);
    {
      std::unique_lock stage_lock(stage_mu_);
      committed_seq_ = stage->seq;
      decide_cv_.notify_one();  // it may wait for this commit (an idempotency key)
      commit_cv_.wait(stage_lock, [&] { return committed_.size() < kCommittedStages; });
      committed_.push_back(std::move(stage));
    }
    finish_cv_.notify_one();
  }
  announce(committing_done_);
}

void Writer::announce(bool& done) {
  {
    std::lock_guard stage_lock(stage_mu_);
    done = true;
  }
  decide_cv_.notify_all();
  commit_cv_.notify_all();
  finish_cv_.notify_all();
}

void Writer::run_finish() {
  pthread_setname_np(pthread_self(), "writer-finish");
  for (;;) {
    std::unique_ptr<Stage> stage;
    {
      std::unique_lock stage_lock(stage_mu_);
      finish_cv_.wait(stage_lock, [&] { return !committed_.empty() || committing_done_; });
      if (committed_.empty()) return;  // every stage finished
      stage = std::move(committed_.front());
      committed_.pop_front();
    }
    commit_cv_.notify_one();  // the committing thread may hand over the next one
    finish_stage(*stage);
    {
      std::lock_guard stage_lock(stage_mu_);
      finished_seq_ = stage->seq;
    }
  }
}

void Writer::wait_committed(uint64_t seq) {
  std::unique_lock stage_lock(stage_mu_);
  decide_cv_.wait(stage_lock, [&] { return committed_seq_ >= seq; });
}

std::unique_ptr<Writer::Stage> Writer::decide_chunk(std::vector<Item> items) {
  auto stage = std::make_unique<Stage>();
  stage->seq = ++decided_seq_;
  stage->items = std::move(items);
  stage->slots.resize(stage->items.size());
  std::map<std::pair<int64_t, std::string>, int> keys;  // idempotency key -> item of this chunk

  std::vector<Transaction> batch;
  for (size_t i = 0; i < stage->items.size(); ++i) {
    const CommandEnvelope& c = stage->items[i].command;
    Slot& slot = stage->slots[i];
    if (!c.idempotency_key.empty()) {
      auto key = std::make_pair(c.actor_id, c.idempotency_key);
      if (auto it = keys.find(key); it != keys.end()) {
        slot.same_as = it->second;
        continue;
      }
      // In an earlier chunk not yet committed: its record is durable once
      // that chunk is.
      if (auto it = keys_in_flight_.find(key); it != keys_in_flight_.end()) wait_committed(it->second);
      auto found = store_.find_idempotent(c.actor_id, c.idempotency_key);
      if (!found) {
        slot.result.status = found.status();
        continue;
      }
      if (found->has_value()) {
        slot.result.duplicate = true;
        for (uint64_t position : **found) {
          auto read = store_.read(position, 1);
          if (!read || read->empty()) {
            slot.result.status = read ? internal_error("idempotency record points past the log")
                                      : read.status();
            break;
          }
          slot.result.events.push_back(std::move(read->front()));
        }
        continue;
      }
      keys.emplace(std::move(key), static_cast<int>(i));
    }

    Decision d = decide(state_, c, clock_, ids_);
    if (d.events.empty()) {
      // Refused, or accepted with nothing to record (an account change that
      // names only what already is): either way nothing is appended.
      slot.result.status = d.status;
      if (!c.idempotency_key.empty()) keys.erase({c.actor_id, c.idempotency_key});
      continue;
    }
    Transaction tx;
    tx.actor_id = c.actor_id;
    tx.recorded_at = clock_.now_us();
    tx.correlation_id = c.correlation_id;
    tx.idempotency_key = c.idempotency_key;
    tx.events = std::move(d.events);
    apply_tentative(state_, tx, next_position_);
    slot.tx = static_cast<int>(batch.size());
    slot.refusal = std::move(d.status);
    if (!c.idempotency_key.empty()) keys_in_flight_.insert_or_assign({c.actor_id, c.idempotency_key}, stage->seq);
    batch.push_back(std::move(tx));
  }

  stage->transactions = batch.size();
  if (!batch.empty()) stage->prepared = store_.prepare(std::move(batch));
  return stage;
}

void Writer::join(Stage& onto, Stage& next) {
  const int items = static_cast<int>(onto.items.size());
  const int transactions = static_cast<int>(onto.transactions);
  for (Slot& slot : next.slots) {
    if (slot.tx >= 0) slot.tx += transactions;
    if (slot.same_as >= 0) slot.same_as += items;
    onto.slots.push_back(std::move(slot));
  }
  for (Item& item : next.items) onto.items.push_back(std::move(item));
  onto.transactions += next.transactions;
  if (!onto.prepared)
    onto.prepared = std::move(next.prepared);
  else if (next.prepared)
    onto.prepared = store_.join(std::move(onto.prepared), std::move(next.prepared));
  onto.seq = next.seq;
}

void Writer::commit_stage(Stage& stage) {
  if (!stage.prepared) return;
  // After a failure nothing more is committed: this batch was decided
  // against state holding the failed one.
  if (failed()) return;
  stage.results = store_.commit(std::move(stage.prepared));
  bool broken = stage.results.size() != stage.transactions;
  for (auto& r : stage.results)
    if (!r || r->duplicate) broken = true;  // decided state no longer matches the log
  if (broken) {
    std::lock_guard lock(mu_);
    failed_ = true;
  }
}

void Writer::settle(Slot& slot, std::vector<Result<AppendOutcome>>& results, std::vector<Envelope>& committed) {
  if (slot.tx < 0) return;
  if (results.empty()) {  // not committed: a failure came first
    slot.result.status = writes_suspended();
    return;
  }
  if (static_cast<size_t>(slot.tx) >= results.size()) {
    slot.result.status = internal_error("the store returned fewer results than transactions");
    return;
  }
  auto& r = results[slot.tx];
  if (!r) {
    slot.result.status = r.status();
    return;
  }
  slot.result.status = slot.refusal;
  slot.result.duplicate = r->duplicate;
  slot.result.events = r->events;
  if (!r->duplicate)
    for (Envelope& e : r->events) committed.push_back(std::move(e));
}

void Writer::finish_stage(Stage& stage) {
  std::vector<Slot>& slots = stage.slots;
  std::vector<Result<AppendOutcome>>& results = stage.results;
  // Every item's result, and the committed events in log order, with the
  // end of each item's events in `committed`.
  std::vector<Envelope> committed;
  std::vector<size_t> ends(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    settle(slots[i], results, committed);
    ends[i] = committed.size();
  }
  // A repeated key inside the batch gets the first item's result, marked
  // duplicate; copied before any result is moved to its caller.
  for (Slot& slot : slots) {
    if (slot.same_as < 0) continue;
    slot.result = slots[slot.same_as].result;
    if (slot.result.status.is_ok()) slot.result.duplicate = true;
  }

  {
    std::lock_guard lock(mu_);
    stats_.batches += committed.empty() ? 0 : 1;
    stats_.commands += stage.items.size();
    stats_.events += committed.size();
  }

  // The read models take the batch a chunk of commands at a time, and each
  // chunk's callers are completed as soon as it is applied: the first callers
  // of a large batch need not wait for the read models to take all of it.
  const std::span<const Envelope> events(committed);
  size_t applied = 0;
  for (size_t first = 0; first < stage.items.size(); first += kFinishChunk) {
    const size_t last = std::min(first + kFinishChunk, stage.items.size());
    if (ends[last - 1] > applied)
      for (const BatchHook& hook : apply_hooks_) hook(events.subspan(applied, ends[last - 1] - applied));
    applied = ends[last - 1];
    for (size_t i = first; i < last; ++i) stage.items[i].done(std::move(slots[i].result));
  }

  if (!committed.empty())
    for (const BatchHook& hook : publish_hooks_) hook(committed);
}

}  // namespace almanac::cmd
