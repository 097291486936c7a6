// RocksEventStore, the append path: prepare() checks a batch's transactions
// (idempotency keys first, then expected versions) and encodes the accepted
// ones into one WriteBatch; join() copies the puts of the batch prepared next
// into it; commit() writes it with one WAL fsync and then publishes the head
// and the new stream versions. Here too are the version cache the checks read,
// what the preparing thread keeps of batches not yet committed, and the
// append observer. docs/storage-format.md §3 describes the same steps.

#include "storage/rocksdb_event_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <cstdio>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/keys.hpp"
#include "storage/rocksdb_internal.hpp"
#include "storage/transaction_check.hpp"

namespace almanac::storage {

Result<uint64_t> RocksEventStore::load_version(StreamId stream) const {
  const uint64_t head = head_.load(std::memory_order_acquire);
  const std::string prefix = keys::stream_prefix(stream);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_cf_));
  // The newest version whose position is published: entries past the head
  // belong to an append still in flight.
  for (it->SeekForPrev(keys::stream_key(stream, UINT64_MAX));
       it->Valid() && it->key().starts_with(prefix); it->Prev()) {
    if (it->value().size() != 8)
      return data_loss("damaged stream index entry in stream " + stream_text(stream));
    if (keys::get_u64(it->value().data()) > head) continue;
    StreamId found;
    uint64_t version = 0;
    if (!keys::parse_stream_key(view(it->key()), &found, &version))
      return data_loss("malformed stream index key for stream " + stream_text(stream));
    return version;
  }
  if (!it->status().ok())
    return from_rocks(it->status(), "cannot read the version of stream " + stream_text(stream));
  return uint64_t{0};
}

std::optional<uint64_t> RocksEventStore::cached_version(StreamId stream) const {
  std::shared_lock lock(versions_mu_);
  auto it = versions_.find(stream);
  if (it == versions_.end()) return std::nullopt;
  return it->second;
}

Result<uint64_t> RocksEventStore::current_version(StreamId stream) const {
  if (auto cached = cached_version(stream)) return *cached;
  auto loaded = load_version(stream);
  if (!loaded) return loaded;
  std::unique_lock lock(versions_mu_);
  // emplace, never assign: the appender may have stored a newer version since.
  return versions_.emplace(stream, *loaded).first->second;
}

Result<bool> RocksEventStore::has_version(StreamId stream, uint64_t version) const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), streams_cf_, keys::stream_key(stream, version), &value);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return from_rocks(s, "cannot read the version of stream " + stream_text(stream));
  if (value.size() != 8) return data_loss("damaged stream index entry in stream " + stream_text(stream));
  return keys::get_u64(value.data()) <= head_.load(std::memory_order_acquire);
}

Result<uint64_t> RocksEventStore::version_expecting(StreamId stream, uint64_t expected) const {
  if (auto cached = cached_version(stream)) return *cached;
  // A stream created since open would be cached: new streams need no read.
  if (stream.id > last_id_at_open_[static_cast<uint8_t>(stream.category)]) return uint64_t{0};
  // Versions are contiguous from 1: the stream is at `expected` exactly when
  // it has that version (or expected is 0) and not the next one. Most
  // appends create streams, and the index's bloom filters answer "not the
  // next one" for them without touching a block.
  auto next = has_version(stream, expected + 1);
  if (!next) return next.status();
  if (!*next) {
    auto at = expected == 0 ? Result<bool>(true) : has_version(stream, expected);
    if (!at) return at.status();
    if (*at) return expected;
  }
  return current_version(stream);  // a conflict: the exact version names it
}

namespace {

// A batch encoded into one WriteBatch, with what commit() publishes after it.
struct RocksPrepared final : PreparedAppend {
  std::vector<Result<AppendOutcome>> results;
  rocksdb::WriteBatch write;
  uint64_t seq = 0;        // 0: nothing to write
  uint64_t first = 0;      // the positions it assigns
  uint64_t last = 0;
  size_t accepted = 0;     // transactions with events
  size_t events = 0;
  // Each stream's version after it.
  std::unordered_map<StreamId, uint64_t, StreamIdHash> versions;
};

std::vector<Result<AppendOutcome>> all_failed(size_t n, const Status& why) {
  return std::vector<Result<AppendOutcome>>(n, Result<AppendOutcome>(why));
}

Status appends_ended() {
  return unavailable("an earlier write to the event store failed; appends are refused until it is "
                     "opened again");
}

// A prepared batch that writes nothing and fails each of its `n` results.
std::unique_ptr<PreparedAppend> fail_prepared(size_t n, const Status& why) {
  auto out = std::make_unique<RocksPrepared>();
  out->results = all_failed(n, why);
  return out;
}

// copy_puts' handler: each put it is shown goes into `into`, in the same
// column family. prepare() writes nothing but puts; other operations fall to
// the base class, which skips them, and copy_puts counts them.
class PutCopier final : public rocksdb::WriteBatch::Handler {
 public:
  PutCopier(rocksdb::WriteBatch& into, std::span<rocksdb::ColumnFamilyHandle* const> families)
      : into_(into), families_(families) {}
  rocksdb::Status PutCF(uint32_t id, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    for (rocksdb::ColumnFamilyHandle* cf : families_)
      if (cf->GetID() == id) return into_.Put(cf, key, value);
    return rocksdb::Status::InvalidArgument("unknown column family " + std::to_string(id));
  }

 private:
  rocksdb::WriteBatch& into_;
  std::span<rocksdb::ColumnFamilyHandle* const> families_;
};

// Adds the puts of `from` to `into`, in order: Internal if `from` holds
// anything else.
Status copy_puts(const rocksdb::WriteBatch& from, rocksdb::WriteBatch& into,
                 std::span<rocksdb::ColumnFamilyHandle* const> families) {
  PutCopier copier(into, families);
  const uint32_t expected = into.Count() + from.Count();
  if (auto s = from.Iterate(&copier); !s.ok()) return from_rocks(s, "cannot join prepared batches");
  // Operations the handler does not take are skipped silently: count them.
  if (into.Count() != expected) return internal_error("a prepared batch holds more than puts");
  return Status::ok();
}

}  // namespace

void RocksEventStore::forget_committed() {
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

std::unique_ptr<PreparedAppend> RocksEventStore::prepare(std::vector<Transaction> batch) {
  auto prepared = std::make_unique<RocksPrepared>();
  std::vector<Result<AppendOutcome>>& results = prepared->results;
  if (options_.read_only || broken_.load(std::memory_order_acquire)) {
    const Status why = options_.read_only ? failed_precondition("event store is open read-only")
                                          : appends_ended();
    for (size_t i = 0; i < batch.size(); ++i) results.emplace_back(why);
    return prepared;
  }
  forget_committed();
  results.reserve(results.size() + batch.size());

  const uint64_t seq = prepared_seq_ + 1;
  uint64_t next = prepared_head_ + 1;
  rocksdb::WriteBatch& wb = prepared->write;
  // Versions after the transactions accepted so far in this batch.
  std::unordered_map<StreamId, uint64_t, StreamIdHash>& batch_versions = prepared->versions;
  size_t events = 0;

  for (Transaction& tx : batch) {
    if (!tx.idempotency_key.empty()) {
      // Earlier in this batch or in a batch still being committed.
      if (auto pending = pending_keys_.find({tx.actor_id, tx.idempotency_key});
          pending != pending_keys_.end()) {
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

    // Check the whole transaction before touching the batch: it is all or nothing.
    Status problem = check_transaction(tx, [&](StreamId stream, uint64_t expected) -> Result<uint64_t> {
      if (auto b = batch_versions.find(stream); b != batch_versions.end()) return b->second;
      if (auto p = pending_versions_.find(stream); p != pending_versions_.end())
        return p->second.version;
      return version_expecting(stream, expected);
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
      const std::string pos_key = keys::position_key(e.position);
      wb.Put(log_cf_, pos_key, bytes).PermitUncheckedError();
      wb.Put(streams_cf_, keys::stream_key(pe.stream, version), pos_key).PermitUncheckedError();
      positions.push_back(e.position);
      outcome.events.push_back(std::move(e));
    }
    if (!tx.idempotency_key.empty() && !positions.empty()) {
      wb.Put(meta_cf_, keys::idempotency_key(tx.actor_id, tx.idempotency_key),
             keys::encode_positions(positions.data(), positions.size()))
          .PermitUncheckedError();
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

std::unique_ptr<PreparedAppend> RocksEventStore::join(std::unique_ptr<PreparedAppend> onto_base,
                                                      std::unique_ptr<PreparedAppend> next_base) {
  auto& onto = static_cast<RocksPrepared&>(*onto_base);
  auto& next = static_cast<RocksPrepared&>(*next_base);
  // One of them writes nothing (refused, or no events): the other's write,
  // with all the results in order.
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
  if (next.first != onto.last + 1)  // not prepared one right after the other: write neither
    return fail_prepared(results, internal_error("joined batches are not consecutive: positions " +
                                                 std::to_string(onto.last) + " then " +
                                                 std::to_string(next.first)));
  // The later batch's entries go into the earlier one's WriteBatch.
  rocksdb::ColumnFamilyHandle* const families[] = {log_cf_, streams_cf_, meta_cf_};
  if (Status copied = copy_puts(next.write, onto.write, families); !copied)
    return fail_prepared(results, copied);
  for (auto& r : next.results) onto.results.push_back(std::move(r));
  for (const auto& [stream, version] : next.versions) onto.versions.insert_or_assign(stream, version);
  // The later sequence number: its commit makes both batches' records durable.
  onto.seq = next.seq;
  onto.last = next.last;
  onto.accepted += next.accepted;
  onto.events += next.events;
  return onto_base;
}

std::vector<Result<AppendOutcome>> RocksEventStore::commit(std::unique_ptr<PreparedAppend> base) {
  auto& prepared = static_cast<RocksPrepared&>(*base);
  if (prepared.seq == 0) return std::move(prepared.results);  // refused, or nothing to write
  if (broken_.load(std::memory_order_acquire)) return all_failed(prepared.results.size(), appends_ended());

  // The position range of the batch, checked at open: a torn batch shows.
  std::string record;
  keys::put_u64(record, prepared.first);
  keys::put_u64(record, prepared.last);
  prepared.write.Put(meta_cf_, slice(keys::kHeadRecord), record).PermitUncheckedError();

  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  const auto start = std::chrono::steady_clock::now();
  rocksdb::Status s = db_->Write(wo, &prepared.write);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
  if (!s.ok()) {
    broken_.store(true, std::memory_order_release);
    Status failed = from_rocks(s, "append of " + std::to_string(prepared.events) + " events failed");
    std::fprintf(stderr, "almanac: storage: %s; no more writes until almanac is restarted%s\n",
                 failed.message().c_str(),
                 s.IsNoSpace() ? " (free space on the data directory's disk first; every "
                                 "acknowledged write is safe)"
                               : "");
    if (s.IsNoSpace()) {
      failed = unavailable("no space left on the server's disk; the write was not made");
    } else if (failed.code() != Code::kUnavailable) {
      failed = unavailable(failed.message());
    }
    return all_failed(prepared.results.size(), failed);
  }

  // Head first: a reader then never sees a stream version ahead of head().
  // Then the versions, and only then may the preparing thread forget what it
  // kept of this batch, since it looks in the version cache next.
  head_.store(prepared.last, std::memory_order_release);
  {
    std::unique_lock lock(versions_mu_);
    for (const auto& [stream, version] : prepared.versions) versions_[stream] = version;
  }
  committed_seq_.store(prepared.seq, std::memory_order_release);
  if (observer_) observer_(prepared.accepted, prepared.events, prepared.write.GetDataSize(), micros);
  return std::move(prepared.results);
}

void RocksEventStore::set_observer(AppendObserver observer) { observer_ = std::move(observer); }

}  // namespace almanac::storage
