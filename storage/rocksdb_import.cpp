// RocksEventStore, the bulk loader of copy_log() and the listing of named
// values: import() writes a whole log with the layout of
// docs/storage-format.md §2 (log entries, their stream index entries, the
// idempotency records rebuilt from the envelopes) in unsynced batches, and
// its finish() writes the last-batch record with one fsync, so that a copy
// that stops half-way is refused at open instead of served.

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/keys.hpp"
#include "storage/rocksdb_event_store.hpp"
#include "storage/rocksdb_internal.hpp"

namespace almanac::storage {

class RocksImport final : public LogImport {
 public:
  explicit RocksImport(RocksEventStore& store) : store_(store) {}

  Status add(uint64_t position, const ev::EventEnvelope& env, std::string_view bytes) override {
    const std::string pos_key = keys::position_key(position);
    const StreamId stream{env.category(), env.stream_id()};
    batch_.Put(store_.log_cf_, pos_key, slice(bytes)).PermitUncheckedError();
    batch_.Put(store_.streams_cf_, keys::stream_key(stream, env.version()), pos_key).PermitUncheckedError();
    if (env.idempotency_key() && env.idempotency_key()->size() > 0)
      keyed_[{env.actor_id(), env.idempotency_key()->str()}].push_back(position);
    last_ = position;
    if (batch_.Count() >= 8192) return write(false);
    return Status::ok();
  }

  Status add_meta(std::string_view name, std::string_view value) override {
    batch_.Put(store_.meta_cf_, keys::named_key(name), slice(value)).PermitUncheckedError();
    return Status::ok();
  }

  Status finish() override {
    for (const auto& [k, positions] : keyed_)
      batch_.Put(store_.meta_cf_, keys::idempotency_key(k.first, k.second),
                 keys::encode_positions(positions.data(), positions.size()))
          .PermitUncheckedError();
    if (last_ != 0) {
      std::string record;
      keys::put_u64(record, last_);
      keys::put_u64(record, last_);
      batch_.Put(store_.meta_cf_, slice(keys::kHeadRecord), record).PermitUncheckedError();
    }
    if (Status s = write(true); !s) return s;
    if (Status s = store_.load_stream_bounds(); !s) return s;
    {
      std::unique_lock lock(store_.versions_mu_);
      store_.versions_.clear();
    }
    store_.head_.store(last_, std::memory_order_release);
    return Status::ok();
  }

 private:
  Status write(bool sync) {
    rocksdb::WriteOptions wo;
    wo.sync = sync && store_.options_.sync;
    rocksdb::Status s = store_.db_->Write(wo, &batch_);
    batch_.Clear();
    return from_rocks(s, "cannot write the copy of the log");
  }

  RocksEventStore& store_;
  rocksdb::WriteBatch batch_;
  std::map<std::pair<int64_t, std::string>, std::vector<uint64_t>> keyed_;
  uint64_t last_ = 0;
};

Result<std::unique_ptr<LogImport>> RocksEventStore::import() {
  if (options_.read_only) return failed_precondition("event store is open read-only");
  if (head_.load(std::memory_order_acquire) != 0)
    return failed_precondition("the target log at " + dir_ + " already holds events; copy into a new directory");
  return std::unique_ptr<LogImport>(std::make_unique<RocksImport>(*this));
}

Result<MetaValues> RocksEventStore::meta_values() const {
  MetaValues out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  const std::string tag(1, keys::kNamedTag);
  for (it->Seek(tag); it->Valid() && it->key().starts_with(tag); it->Next())
    out.emplace_back(std::string(view(it->key()).substr(1)), std::string(view(it->value())));
  if (!it->status().ok()) return from_rocks(it->status(), "cannot read the meta values");
  return out;
}

}  // namespace almanac::storage
