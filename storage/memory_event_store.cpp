#include "storage/memory_event_store.hpp"

#include <mutex>

#include "storage/transaction_check.hpp"

namespace almanac::storage {

std::vector<Envelope> MemoryEventStore::read_positions_locked(
    const std::vector<uint64_t>& positions) const {
  std::vector<Envelope> out;
  out.reserve(positions.size());
  // The bytes were produced by encode() in append(): they always decode.
  for (uint64_t p : positions) out.push_back(std::move(decode(log_[p - 1])).value());
  return out;
}

namespace {

struct MemoryPrepared final : PreparedAppend {
  std::vector<Transaction> batch;
};

}  // namespace

std::unique_ptr<PreparedAppend> MemoryEventStore::prepare(std::vector<Transaction> batch) {
  auto prepared = std::make_unique<MemoryPrepared>();
  prepared->batch = std::move(batch);
  return prepared;
}

std::unique_ptr<PreparedAppend> MemoryEventStore::join(std::unique_ptr<PreparedAppend> onto,
                                                       std::unique_ptr<PreparedAppend> next) {
  auto& into = static_cast<MemoryPrepared&>(*onto).batch;
  for (Transaction& tx : static_cast<MemoryPrepared&>(*next).batch) into.push_back(std::move(tx));
  return onto;
}

std::vector<Result<AppendOutcome>> MemoryEventStore::commit(std::unique_ptr<PreparedAppend> prepared) {
  std::vector<Transaction>& batch = static_cast<MemoryPrepared&>(*prepared).batch;
  std::unique_lock lock(mu_);
  std::vector<Result<AppendOutcome>> results;
  results.reserve(batch.size());
  // Each accepted transaction is applied at once: later transactions of the
  // batch then see its versions and its idempotency key, as in one WriteBatch.
  for (Transaction& tx : batch) {
    if (!tx.idempotency_key.empty()) {
      auto found = idempotency_.find(std::pair<int64_t, std::string>{tx.actor_id, tx.idempotency_key});
      if (found != idempotency_.end()) {
        results.emplace_back(AppendOutcome{read_positions_locked(found->second), true});
        continue;
      }
    }
    Status problem = check_transaction(tx, [this](StreamId stream, uint64_t) -> Result<uint64_t> {
      auto found = streams_.find(stream);
      return found == streams_.end() ? uint64_t{0} : uint64_t{found->second.size()};
    });
    if (!problem) {
      results.emplace_back(problem);
      continue;
    }
    AppendOutcome outcome;
    std::vector<uint64_t> positions;
    for (PendingEvent& pe : tx.events) {
      std::vector<uint64_t>& stream = streams_[pe.stream];
      Envelope e;
      e.position = log_.size() + 1;
      e.category = pe.stream.category;
      e.stream_id = pe.stream.id;
      e.version = stream.size() + 1;
      e.recorded_at = tx.recorded_at;
      e.actor_id = tx.actor_id;
      e.correlation_id = tx.correlation_id;
      e.idempotency_key = tx.idempotency_key;
      e.payload = std::move(pe.payload);
      log_.push_back(encode(e));
      stream.push_back(e.position);
      positions.push_back(e.position);
      outcome.events.push_back(std::move(e));
    }
    if (!tx.idempotency_key.empty() && !positions.empty())
      idempotency_.emplace(std::pair<int64_t, std::string>{tx.actor_id, tx.idempotency_key},
                           std::move(positions));
    results.emplace_back(std::move(outcome));
  }
  return results;
}

uint64_t MemoryEventStore::head() const {
  std::shared_lock lock(mu_);
  return log_.size();
}

uint64_t MemoryEventStore::stream_version(StreamId stream) const {
  std::shared_lock lock(mu_);
  auto it = streams_.find(stream);
  return it == streams_.end() ? 0 : it->second.size();
}

Status MemoryEventStore::scan(uint64_t from, uint64_t limit, const ScanFn& fn) const {
  std::shared_lock lock(mu_);
  if (from == 0) from = 1;
  uint64_t count = 0;
  for (uint64_t p = from; p <= log_.size(); ++p) {
    if (!fn(p, log_[p - 1])) break;
    if (limit != 0 && ++count == limit) break;
  }
  return Status::ok();
}

Result<std::vector<Envelope>> MemoryEventStore::read_stream(StreamId stream, uint64_t from_version,
                                                            uint64_t limit) const {
  std::shared_lock lock(mu_);
  std::vector<uint64_t> positions;
  auto it = streams_.find(stream);
  if (it != streams_.end()) {
    if (from_version == 0) from_version = 1;
    for (uint64_t v = from_version; v <= it->second.size(); ++v) {
      positions.push_back(it->second[v - 1]);
      if (limit != 0 && positions.size() == limit) break;
    }
  }
  return read_positions_locked(positions);
}

Result<std::optional<std::vector<uint64_t>>> MemoryEventStore::find_idempotent(
    int64_t actor_id, std::string_view key) const {
  std::shared_lock lock(mu_);
  auto it = idempotency_.find(std::pair<int64_t, std::string>{actor_id, std::string(key)});
  if (it == idempotency_.end()) return std::optional<std::vector<uint64_t>>();
  return std::optional<std::vector<uint64_t>>(it->second);
}

Status MemoryEventStore::put_meta(std::string_view key, std::string_view value) {
  std::unique_lock lock(mu_);
  meta_.insert_or_assign(std::string(key), std::string(value));
  return Status::ok();
}

Result<std::optional<std::string>> MemoryEventStore::get_meta(std::string_view key) const {
  std::shared_lock lock(mu_);
  auto it = meta_.find(key);
  if (it == meta_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

}  // namespace almanac::storage
