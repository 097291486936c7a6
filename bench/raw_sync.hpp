// The storage ceiling the benchmarks set durable writes against: bare RocksDB
// WriteBatches of `batch` entries, keyed like the log (big-endian positions
// from 1), written with sync=true for `seconds` into a fresh `dir`, which is
// removed afterwards. Shared by bench/append and bench/http (header only: a
// file directly under bench/ is not a benchmark of its own).
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

#include "events/clock.hpp"
#include "events/status.hpp"

namespace almanac::bench {

struct RawSyncResult {
  uint64_t writes = 0;  // entries written
  uint64_t syncs = 0;   // WriteBatches, one fsync each
  double seconds = 0;
  double cpu_seconds = 0;  // of the writing thread
};


// `value(position)` gives each entry's bytes.
template <typename ValueFn>
Result<RawSyncResult> raw_sync_loop(const std::filesystem::path& dir, size_t batch, double seconds,
                                    ValueFn&& value) {
  using Steady = std::chrono::steady_clock;
  std::filesystem::remove_all(dir);
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::Open(options, dir.string(), &raw); !s.ok())
    return unavailable("cannot open " + dir.string() + ": " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  RawSyncResult out;
  const auto started = Steady::now();
  const double cpu_started = thread_cpu_seconds();
  const auto deadline = started + std::chrono::duration<double>(seconds);
  while (Steady::now() < deadline) {
    rocksdb::WriteBatch wb;
    for (size_t i = 0; i < batch; ++i) {
      const uint64_t position = ++out.writes;
      char key[8];
      for (int b = 0; b < 8; ++b) key[b] = static_cast<char>(position >> (56 - 8 * b));
      const std::string_view v = value(position);
      wb.Put(rocksdb::Slice(key, 8), rocksdb::Slice(v.data(), v.size()));
    }
    if (auto s = db->Write(wo, &wb); !s.ok()) return unavailable("write failed: " + s.ToString());
    ++out.syncs;
  }
  out.seconds = std::chrono::duration<double>(Steady::now() - started).count();
  out.cpu_seconds = thread_cpu_seconds() - cpu_started;
  db.reset();
  std::filesystem::remove_all(dir);
  return out;
}

}  // namespace almanac::bench
