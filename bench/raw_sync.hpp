// The storage ceiling the benchmarks set durable writes against: bare RocksDB
// WriteBatches of `batch` log entries (big-endian positions from 1), written
// with sync=true and default options into a fresh directory, which is removed
// afterwards. Shared by bench/append and bench/http (header only: a file
// directly under bench/ is not a benchmark of its own).
//
// Two layouts of each WriteBatch:
// - kEntries: the log entries alone, in one column family.
// - kStoreWrite: what the event store's durable write holds for the same
//   entries (docs/storage-format.md): each entry in `log`, its stream-index
//   entry in `streams` (every entry a new stream at version 1, keyed in
//   order, as when each command creates something), and the batch's head
//   record in `meta`.
//
// RawSync keeps its database open, so that a benchmark can measure it in
// short windows taken in turn with what it compares against it;
// raw_sync_loop is one window on a database of its own.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/clock.hpp"
#include "events/status.hpp"
#include "storage/keys.hpp"

namespace almanac::bench {

enum class RawLayout { kEntries, kStoreWrite };

struct RawSyncResult {
  uint64_t writes = 0;  // log entries written
  uint64_t syncs = 0;   // WriteBatches, one fsync each
  uint64_t bytes = 0;   // in those WriteBatches
  double seconds = 0;
  double cpu_seconds = 0;  // of the writing thread
};

class RawSync {
 public:
  static Result<std::unique_ptr<RawSync>> open(const std::filesystem::path& dir, RawLayout layout) {
    namespace keys = storage::keys;
    std::filesystem::remove_all(dir);
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {{rocksdb::kDefaultColumnFamilyName, {}}};
    if (layout == RawLayout::kStoreWrite)
      for (const char* name : {keys::kLogFamily, keys::kStreamsFamily, keys::kMetaFamily})
        families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::unique_ptr<RawSync> out(new RawSync(dir));
    rocksdb::DB* raw = nullptr;
    if (auto s = rocksdb::DB::Open(options, dir.string(), families, &out->handles_, &raw); !s.ok())
      return unavailable("cannot open " + dir.string() + ": " + s.ToString());
    out->db_.reset(raw);
    out->log_ = out->handles_.back();
    if (layout == RawLayout::kStoreWrite) {
      out->log_ = out->handles_[1];
      out->streams_ = out->handles_[2];
      out->meta_ = out->handles_[3];
    }
    return out;
  }

  ~RawSync() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  RawSync(const RawSync&) = delete;
  RawSync& operator=(const RawSync&) = delete;

  // Writes batches of `batch` entries for `seconds`, on from the last window,
  // and adds what it did to `out`; `value(position)` gives each log entry's
  // bytes.
  template <typename ValueFn>
  Status run(size_t batch, double seconds, ValueFn&& value, RawSyncResult& out) {
    namespace keys = storage::keys;
    using Steady = std::chrono::steady_clock;
    rocksdb::WriteOptions wo;
    wo.sync = true;
    const auto started = Steady::now();
    const double cpu_started = thread_cpu_seconds();
    const auto deadline = started + std::chrono::duration<double>(seconds);
    while (Steady::now() < deadline) {
      rocksdb::WriteBatch wb;
      const uint64_t first = position_ + 1;
      for (size_t i = 0; i < batch; ++i) {
        const uint64_t position = ++position_;
        const std::string key = keys::position_key(position);
        const std::string_view v = value(position);
        wb.Put(log_, key, rocksdb::Slice(v.data(), v.size())).PermitUncheckedError();
        if (streams_) {
          const StreamId stream{Category::Event, static_cast<int64_t>(position)};
          wb.Put(streams_, keys::stream_key(stream, 1), key).PermitUncheckedError();
        }
      }
      if (meta_) {
        std::string head;
        keys::put_u64(head, first);
        keys::put_u64(head, position_);
        wb.Put(meta_, rocksdb::Slice(keys::kHeadRecord.data(), keys::kHeadRecord.size()), head)
            .PermitUncheckedError();
      }
      if (auto s = db_->Write(wo, &wb); !s.ok()) return unavailable("write failed: " + s.ToString());
      out.writes += batch;
      out.bytes += wb.GetDataSize();
      ++out.syncs;
    }
    out.seconds += std::chrono::duration<double>(Steady::now() - started).count();
    out.cpu_seconds += thread_cpu_seconds() - cpu_started;
    return Status::ok();
  }

 private:
  explicit RawSync(std::filesystem::path dir) : dir_(std::move(dir)) {}

  std::filesystem::path dir_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* log_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  uint64_t position_ = 0;  // the last entry written
};

// One window of `seconds` on a fresh database in `dir`.
template <typename ValueFn>
Result<RawSyncResult> raw_sync_loop(const std::filesystem::path& dir, size_t batch, double seconds,
                                    ValueFn&& value, RawLayout layout = RawLayout::kEntries) {
  auto raw = RawSync::open(dir, layout);
  if (!raw) return raw.status();
  RawSyncResult out;
  if (Status s = (*raw)->run(batch, seconds, std::forward<ValueFn>(value), out); !s) return s;
  return out;
}

}  // namespace almanac::bench
