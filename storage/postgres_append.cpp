// PostgresEventStore, the append path: prepare() checks a batch's
// transactions (idempotency keys first, then expected versions) as the
// RocksDB store does, and encodes the accepted ones into the array
// parameters of one statement; join() concatenates the arrays of the batch
// prepared next; commit() runs the statement on the writer session (the
// fence, the inserts and the notification, one transaction and one WAL
// flush) and publishes the head and the new stream versions.
// docs/storage-format.md §6 describes the same steps.

#include <chrono>
#include <iterator>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/keys.hpp"
#include "storage/pg_client.hpp"
#include "storage/postgres_event_store.hpp"
#include "storage/postgres_sql.hpp"
#include "storage/transaction_check.hpp"

namespace almanac::storage {

namespace {

// A batch encoded as the arrays of one append statement, with what commit()
// publishes after it.
struct PgPrepared final : PreparedAppend {
  std::vector<Result<AppendOutcome>> results;
  uint64_t epoch = 0;    // of the term it was prepared in: the fence it commits under
  uint64_t seq = 0;      // 0: nothing to write
  uint64_t first = 0;    // the positions it assigns
  uint64_t last = 0;
  size_t accepted = 0;   // transactions with events
  size_t events = 0;
  size_t bytes = 0;      // of the envelopes
  pg::ArrayParam positions{pg::kInt8Oid};
  pg::ArrayParam categories{pg::kInt2Oid};
  pg::ArrayParam stream_ids{pg::kInt8Oid};
  pg::ArrayParam versions{pg::kInt8Oid};
  pg::ArrayParam envelopes{pg::kByteaOid};
  pg::ArrayParam key_actors{pg::kInt8Oid};
  pg::ArrayParam keys{pg::kByteaOid};
  pg::ArrayParam key_positions{pg::kByteaOid};
  // Each stream's version after it.
  std::unordered_map<StreamId, uint64_t, StreamIdHash> stream_versions;
};

std::vector<Result<AppendOutcome>> all_failed(size_t n, const Status& why) {
  return std::vector<Result<AppendOutcome>>(n, Result<AppendOutcome>(why));
}

Status not_writer() {
  return unavailable("this node is not the writer of the log (another node is, or none yet); retry shortly");
}

Status appends_ended() {
  return unavailable("an earlier commit to the log failed; this node stopped writing until it is elected again");
}

std::unique_ptr<PreparedAppend> fail_prepared(size_t n, const Status& why) {
  auto out = std::make_unique<PgPrepared>();
  out->results = all_failed(n, why);
  return out;
}

}  // namespace

Result<uint64_t> PostgresEventStore::version_for_check(StreamId stream) const {
  {
    std::shared_lock lock(versions_mu_);
    if (auto it = versions_.find(stream); it != versions_.end()) return it->second;
  }
  // A stream created in this term would be cached: new streams need no read.
  if (stream.id > last_id_at_term_[static_cast<uint8_t>(stream.category)]) return uint64_t{0};
  return load_version(stream, head_.load(std::memory_order_acquire));
}

void PostgresEventStore::forget_committed() {
  const uint64_t committed = committed_seq_.load(std::memory_order_acquire);
  if (committed == prepared_seq_) {
    pending_versions_.clear();
    pending_keys_.clear();
    prepared_head_ = head_.load(std::memory_order_acquire);
    return;
  }
  std::erase_if(pending_versions_, [&](const auto& kv) { return kv.second.seq <= committed; });
  std::erase_if(pending_keys_, [&](const auto& kv) { return kv.second.seq <= committed; });
}

std::unique_ptr<PreparedAppend> PostgresEventStore::prepare(std::vector<Transaction> batch) {
  auto prepared = std::make_unique<PgPrepared>();
  std::vector<Result<AppendOutcome>>& results = prepared->results;
  if (options_.read_only || !leading_.load(std::memory_order_acquire)) {
    results = all_failed(batch.size(), options_.read_only ? failed_precondition("event store is open read-only")
                                                          : not_writer());
    return prepared;
  }
  prepared->epoch = epoch_.load(std::memory_order_acquire);
  forget_committed();
  results.reserve(batch.size());

  const uint64_t seq = prepared_seq_ + 1;
  uint64_t next = prepared_head_ + 1;
  auto& batch_versions = prepared->stream_versions;
  size_t events = 0;

  for (Transaction& tx : batch) {
    if (!tx.idempotency_key.empty()) {
      // Earlier in this batch or in a batch still being committed.
      if (auto pending = pending_keys_.find({tx.actor_id, tx.idempotency_key}); pending != pending_keys_.end()) {
        results.emplace_back(AppendOutcome{pending->second.events, true});
        continue;
      }
      auto recorded = find_idempotent(tx.actor_id, tx.idempotency_key);
      if (!recorded) {
        results.emplace_back(recorded.status());
        continue;
      }
      if (recorded->has_value()) {
        auto original = read_positions(**recorded);
        if (!original)
          results.emplace_back(original.status());
        else
          results.emplace_back(AppendOutcome{std::move(original).value(), true});
        continue;
      }
    }

    // Check the whole transaction before touching the batch: all or nothing.
    Status problem = check_transaction(tx, [&](StreamId stream, uint64_t) -> Result<uint64_t> {
      if (auto b = batch_versions.find(stream); b != batch_versions.end()) return b->second;
      if (auto p = pending_versions_.find(stream); p != pending_versions_.end()) return p->second.version;
      return version_for_check(stream);
    });
    if (!problem) {
      results.emplace_back(problem);
      continue;
    }

    AppendOutcome outcome;
    outcome.events.reserve(tx.events.size());
    std::vector<uint64_t> positions;
    positions.reserve(tx.events.size());
    for (PendingEvent& pe : tx.events) {
      auto [slot, added] = batch_versions.try_emplace(pe.stream, pe.expected_version);
      const uint64_t version = ++slot->second;
      Envelope e;
      e.position = next++;
      e.category = pe.stream.category;
      e.stream_id = pe.stream.id;
      e.version = version;
      e.recorded_at = tx.recorded_at;
      e.actor_id = tx.actor_id;
      e.correlation_id = tx.correlation_id;
      e.idempotency_key = tx.idempotency_key;
      e.payload = std::move(pe.payload);
      const std::string bytes = encode(e);
      prepared->positions.add_int8(static_cast<int64_t>(e.position));
      prepared->categories.add_int2(static_cast<int16_t>(e.category));
      prepared->stream_ids.add_int8(e.stream_id);
      prepared->versions.add_int8(static_cast<int64_t>(version));
      prepared->envelopes.add_bytes(bytes);
      prepared->bytes += bytes.size();
      positions.push_back(e.position);
      outcome.events.push_back(std::move(e));
    }
    if (!tx.idempotency_key.empty() && !positions.empty()) {
      prepared->key_actors.add_int8(tx.actor_id);
      prepared->keys.add_bytes(tx.idempotency_key);
      prepared->key_positions.add_bytes(keys::encode_positions(positions.data(), positions.size()));
      pending_keys_.insert_or_assign({tx.actor_id, tx.idempotency_key}, PendingKey{seq, outcome.events});
    }
    if (!positions.empty()) ++prepared->accepted;
    events += positions.size();
    results.emplace_back(std::move(outcome));
  }

  if (events == 0) return prepared;
  prepared->seq = prepared_seq_ = seq;
  prepared->first = prepared_head_ + 1;
  prepared->events = events;
  prepared->last = prepared_head_ = next - 1;
  for (const auto& [stream, version] : batch_versions)
    pending_versions_.insert_or_assign(stream, PendingVersion{seq, version});
  return prepared;
}

std::unique_ptr<PreparedAppend> PostgresEventStore::join(std::unique_ptr<PreparedAppend> onto_base,
                                                         std::unique_ptr<PreparedAppend> next_base) {
  auto& onto = static_cast<PgPrepared&>(*onto_base);
  auto& next = static_cast<PgPrepared&>(*next_base);
  if (next.seq == 0) {
    for (auto& r : next.results) onto.results.push_back(std::move(r));
    return onto_base;
  }
  if (onto.seq == 0) {
    next.results.insert(next.results.begin(), std::make_move_iterator(onto.results.begin()),
                        std::make_move_iterator(onto.results.end()));
    return next_base;
  }
  const size_t results = onto.results.size() + next.results.size();
  if (next.first != onto.last + 1 || next.epoch != onto.epoch)
    return fail_prepared(results, internal_error("joined batches are not consecutive: positions " +
                                                 std::to_string(onto.last) + " then " +
                                                 std::to_string(next.first)));
  onto.positions.append(next.positions);
  onto.categories.append(next.categories);
  onto.stream_ids.append(next.stream_ids);
  onto.versions.append(next.versions);
  onto.envelopes.append(next.envelopes);
  onto.key_actors.append(next.key_actors);
  onto.keys.append(next.keys);
  onto.key_positions.append(next.key_positions);
  for (auto& r : next.results) onto.results.push_back(std::move(r));
  for (const auto& [stream, version] : next.stream_versions) onto.stream_versions.insert_or_assign(stream, version);
  onto.seq = next.seq;
  onto.last = next.last;
  onto.accepted += next.accepted;
  onto.events += next.events;
  onto.bytes += next.bytes;
  return onto_base;
}

std::vector<Result<AppendOutcome>> PostgresEventStore::commit(std::unique_ptr<PreparedAppend> base) {
  auto& prepared = static_cast<PgPrepared&>(*base);
  if (prepared.seq == 0) return std::move(prepared.results);  // refused, or nothing to write
  const size_t n = prepared.results.size();
  if (broken_.load(std::memory_order_acquire) || prepared.epoch != epoch_.load(std::memory_order_acquire))
    return all_failed(n, appends_ended());

  pg::Params params;
  params.int8(static_cast<int64_t>(prepared.epoch))
      .int8(static_cast<int64_t>(prepared.first - 1))
      .int8(static_cast<int64_t>(prepared.last))
      .array(prepared.positions, pg::kInt8ArrayOid)
      .array(prepared.categories, pg::kInt2ArrayOid)
      .array(prepared.stream_ids, pg::kInt8ArrayOid)
      .array(prepared.versions, pg::kInt8ArrayOid)
      .array(prepared.envelopes, pg::kByteaArrayOid)
      .array(prepared.key_actors, pg::kInt8ArrayOid)
      .array(prepared.keys, pg::kByteaArrayOid)
      .array(prepared.key_positions, pg::kByteaArrayOid)
      .text(channel_);

  int64_t micros = 0;
  {
    std::lock_guard lock(writer_mu_);
    if (!leading_.load(std::memory_order_acquire) || !writer_conn_) return all_failed(n, not_writer());
    const auto start = std::chrono::steady_clock::now();
    auto rows = writer_conn_->exec(sql::kAppend, params);
    micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    Status failed = Status::ok();
    if (!rows) {
      failed = unavailable("append of " + std::to_string(prepared.events) + " events failed: " +
                           rows.status().message());
    } else if (rows->int8(0, 0) != 1) {
      failed = unavailable("append of " + std::to_string(prepared.events) +
                           " events refused: this node's term as writer (epoch " + std::to_string(prepared.epoch) +
                           ") is over; another node writes the log now");
    } else if (static_cast<size_t>(rows->int8(0, 1)) != prepared.events ||
               static_cast<size_t>(rows->int8(0, 2)) != prepared.key_actors.size()) {
      failed = internal_error("append of " + std::to_string(prepared.events) + " events wrote " +
                              std::to_string(rows->int8(0, 1)) + " entries");
    }
    if (!failed) {
      // Any failure ends the term: the session may be gone, and batches
      // prepared behind this one assumed it.
      end_term_locked();
      return all_failed(n, failed);
    }
  }

  // Head first: a reader then never sees a stream version ahead of head().
  head_.store(prepared.last, std::memory_order_release);
  {
    std::unique_lock lock(versions_mu_);
    for (const auto& [stream, version] : prepared.stream_versions) versions_[stream] = version;
  }
  committed_seq_.store(prepared.seq, std::memory_order_release);
  if (observer_) observer_(prepared.accepted, prepared.events, prepared.bytes, micros);
  return std::move(prepared.results);
}

}  // namespace almanac::storage
