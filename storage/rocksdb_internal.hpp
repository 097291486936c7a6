// What the source files of RocksEventStore (storage/rocksdb_*.cpp) share: the
// one translation of rocksdb::Status into ours, the conversions between
// RocksDB slices and string views, and the read options of reads over many
// entries. Internal to storage/: only those files include it, so RocksDB
// types stay out of every other header. Everything here is pure and
// thread-safe.
#pragma once

#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/status.h>

#include <string>
#include <string_view>
#include <utility>

#include "events/status.hpp"

namespace almanac::storage {

// The one translation of rocksdb::Status into ours. Callers that expect a
// missing key test IsNotFound() themselves before coming here, so NotFound
// here always means something that should exist does not.
inline Status from_rocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::ok();
  std::string m = what + ": " + s.ToString();
  if (s.IsNotFound()) return not_found(std::move(m));
  if (s.IsCorruption()) return data_loss(std::move(m));
  if (s.IsInvalidArgument()) return invalid(std::move(m));
  if (s.IsNotSupported()) return failed_precondition(std::move(m));
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsIncomplete() ||
      s.IsShutdownInProgress() || s.IsAborted() || s.IsNoSpace())
    return unavailable(std::move(m));
  return internal_error(std::move(m));
}

inline std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }
inline rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

// Reads over many entries: stream past the block cache with a large readahead.
inline rocksdb::ReadOptions bulk_read_options() {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 4 << 20;
  return ro;
}

}  // namespace almanac::storage
