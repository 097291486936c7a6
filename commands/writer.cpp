#include "commands/writer.hpp"

#include <map>
#include <utility>

#include "commands/decide.hpp"

namespace almanac::cmd {

Writer::Writer(EventStore& store, WriteState& state, Clock& clock, IdSource& ids, Options options)
    : store_(store), state_(state), clock_(clock), ids_(ids), options_(options) {}

Writer::~Writer() { stop(); }

void Writer::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Writer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Writer::submit(CommandEnvelope command, Completion done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && thread_.joinable()) {
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

void Writer::run() {
  std::vector<Item> items;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      size_t n = std::min(queue_.size(), options_.max_batch);
      items.clear();
      items.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        items.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    process(items);
  }
}

namespace {

// The envelope an accepted transaction will have once appended, so that later
// commands of the same batch are decided against it.
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

void Writer::process(std::vector<Item>& items) {
  if (failed()) {
    for (Item& item : items)
      item.done(CommandResult{unavailable("writes are suspended after a storage failure; "
                                          "restart the server to recover"),
                              {}, false});
    return;
  }

  // What becomes of each item: a transaction of the batch, an immediate
  // result, or the same result as an earlier item with the same key.
  struct Slot {
    int tx = -1;                   // index into `batch`
    int same_as = -1;              // index into `items`
    CommandResult result;          // when tx < 0 && same_as < 0
    Status refusal;                // a refusal that still appends (session reuse)
  };
  std::vector<Slot> slots(items.size());
  std::vector<Transaction> batch;
  std::map<std::pair<int64_t, std::string>, int> keys_in_batch;
  uint64_t next_position = store_.head() + 1;

  for (size_t i = 0; i < items.size(); ++i) {
    const CommandEnvelope& c = items[i].command;
    Slot& slot = slots[i];
    if (!c.idempotency_key.empty()) {
      auto key = std::make_pair(c.actor_id, c.idempotency_key);
      if (auto it = keys_in_batch.find(key); it != keys_in_batch.end()) {
        slot.same_as = it->second;
        continue;
      }
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
      keys_in_batch.emplace(key, static_cast<int>(i));
    }

    Decision d = decide(state_, c, clock_, ids_);
    if (d.events.empty()) {
      slot.result.status = d.status.is_ok() ? internal_error("command decided no events")
                                            : d.status;
      if (!c.idempotency_key.empty()) keys_in_batch.erase({c.actor_id, c.idempotency_key});
      continue;
    }
    Transaction tx;
    tx.actor_id = c.actor_id;
    tx.recorded_at = clock_.now_us();
    tx.correlation_id = c.correlation_id;
    tx.idempotency_key = c.idempotency_key;
    tx.events = std::move(d.events);
    apply_tentative(state_, tx, next_position);
    slot.tx = static_cast<int>(batch.size());
    slot.refusal = std::move(d.status);
    batch.push_back(std::move(tx));
  }

  std::vector<Envelope> committed;
  if (!batch.empty()) {
    size_t tx_count = batch.size();
    auto results = store_.append(std::move(batch));
    bool broken = results.size() != tx_count;
    for (auto& r : results)
      if (!r || r->duplicate) broken = true;  // decided state no longer matches the log
    if (broken) {
      std::lock_guard lock(mu_);
      failed_ = true;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      Slot& slot = slots[i];
      if (slot.tx < 0) continue;
      if (static_cast<size_t>(slot.tx) >= results.size()) {
        slot.result.status = internal_error("the store returned fewer results than transactions");
        continue;
      }
      auto& r = results[slot.tx];
      if (!r) {
        slot.result.status = r.status();
        continue;
      }
      slot.result.status = slot.refusal;
      slot.result.duplicate = r->duplicate;
      slot.result.events = r->events;
      if (!r->duplicate)
        for (Envelope& e : r->events) committed.push_back(std::move(e));
    }
  }

  if (!committed.empty())
    for (const BatchHook& hook : apply_hooks_) hook(committed);

  {
    std::lock_guard lock(mu_);
    stats_.batches += committed.empty() ? 0 : 1;
    stats_.commands += items.size();
    stats_.events += committed.size();
  }

  // A repeated key inside the batch gets the first item's result, marked
  // duplicate; copied before any result is moved to its caller.
  for (Slot& slot : slots) {
    if (slot.same_as < 0) continue;
    slot.result = slots[slot.same_as].result;
    if (slot.result.status.is_ok()) slot.result.duplicate = true;
  }
  for (size_t i = 0; i < items.size(); ++i) items[i].done(std::move(slots[i].result));

  if (!committed.empty())
    for (const BatchHook& hook : publish_hooks_) hook(committed);
}

}  // namespace almanac::cmd
