// The storage ceiling the benchmarks set durable writes against: bare RocksDB
// WriteBatches of `batch` log entries (big-endian positions from 1), written
// with sync=true and default options for `seconds` into a fresh `dir`, which
// is removed afterwards. Shared by bench/append and bench/http (header only: a
// file directly under bench/ is not a benchmark of its own).
//
// Two layouts of each WriteBatch:
// - kEntries: the log entries alone, in one column family.
// - kStoreWrite: what the event store's durable write holds for the same
//   entries (docs/storage-format.md): each entry in `log`, its stream-index
//   entry in `streams` (every entry a new stream at version 1, keyed in
//   order, as when each command creates something), and the batch's head
//   record in `meta`.
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
  double seconds = 0;
  double cpu_seconds = 0;  // of the writing thread
};

// `value(position)` gives each log entry's bytes.
template <typename ValueFn>
Result<RawSyncResult> raw_sync_loop(const std::filesystem::path& dir, size_t batch, double seconds,
                                    ValueFn&& value, RawLayout layout = RawLayout::kEntries) {
  namespace keys = storage::keys;
  using Steady = std::chrono::steady_clock;
  std::filesystem::remove_all(dir);
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {{rocksdb::kDefaultColumnFamilyName, {}}};
  if (layout == RawLayout::kStoreWrite)
    for (const char* name : {keys::kLogFamily, keys::kStreamsFamily, keys::kMetaFamily})
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::Open(options, dir.string(), families, &handles, &raw); !s.ok())
    return unavailable("cannot open " + dir.string() + ": " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* log = handles.back();
  rocksdb::ColumnFamilyHandle* streams = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  if (layout == RawLayout::kStoreWrite) {
    log = handles[1];
    streams = handles[2];
    meta = handles[3];
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  RawSyncResult out;
  const auto started = Steady::now();
  const double cpu_started = thread_cpu_seconds();
  const auto deadline = started + std::chrono::duration<double>(seconds);
  while (Steady::now() < deadline) {
    rocksdb::WriteBatch wb;
    const uint64_t first = out.writes + 1;
    for (size_t i = 0; i < batch; ++i) {
      const uint64_t position = ++out.writes;
      const std::string key = keys::position_key(position);
      const std::string_view v = value(position);
      wb.Put(log, key, rocksdb::Slice(v.data(), v.size())).PermitUncheckedError();
      if (streams) {
        const StreamId stream{Category::Event, static_cast<int64_t>(position)};
        wb.Put(streams, keys::stream_key(stream, 1), key).PermitUncheckedError();
      }
    }
    if (meta) {
      std::string head;
      keys::put_u64(head, first);
      keys::put_u64(head, out.writes);
      wb.Put(meta, rocksdb::Slice(keys::kHeadRecord.data(), keys::kHeadRecord.size()), head)
          .PermitUncheckedError();
    }
    if (auto s = db->Write(wo, &wb); !s.ok()) return unavailable("write failed: " + s.ToString());
    ++out.syncs;
  }
  out.seconds = std::chrono::duration<double>(Steady::now() - started).count();
  out.cpu_seconds = thread_cpu_seconds() - cpu_started;
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db.reset();
  std::filesystem::remove_all(dir);
  return out;
}

}  // namespace almanac::bench
