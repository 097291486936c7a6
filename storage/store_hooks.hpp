// What the durable stores (RocksDB, PostgreSQL) report beyond the EventStore
// interface: an observer of each durable append, the progress of a full check,
// and the named values beside the log, listed for copying.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace almanac::storage {

// Called after each successful append with what it wrote: accepted
// transactions, events, bytes of the durable write, and how long the durable
// write (including the fsync or the commit's WAL flush) took.
using AppendObserver = std::function<void(size_t transactions, size_t events, size_t bytes,
                                          int64_t sync_micros)>;

// Progress of verify(): `done` out of `total` work units.
using VerifyProgress = std::function<void(uint64_t done, uint64_t total)>;

// The named values of put_meta, as (name, value) pairs in name order.
using MetaValues = std::vector<std::pair<std::string, std::string>>;

}  // namespace almanac::storage
