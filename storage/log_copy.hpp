// Copying a log between stores (`almanac copy`, `almanac backup` of a
// PostgreSQL log): every entry keeps its position and its bytes, exactly as
// stored (the FlatBuffers envelope is the same in every store); the target
// rebuilds its stream index and idempotency records from the envelopes, which
// carry stream, version, actor and idempotency key; the named values beside
// the log are copied as they are. Nothing of the copy is visible in the
// target until all of it is.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "events/event_store.hpp"
#include "storage/store_hooks.hpp"

namespace almanac::storage {

// A store's bulk loader: takes a whole log, in position order, into a store
// that holds no event yet, and makes it visible at once in finish(). Dropped
// without finish(), it leaves the target without any of it. Used by one
// thread.
class LogImport {
 public:
  virtual ~LogImport() = default;
  // The entry at `position` (1, 2, ... in order): `bytes` is its stored
  // envelope, verified, and `envelope` the same bytes read as a table.
  virtual Status add(uint64_t position, const ev::EventEnvelope& envelope, std::string_view bytes) = 0;
  // A named value (put_meta) to store with the log.
  virtual Status add_meta(std::string_view name, std::string_view value) = 0;
  // Writes what is left and makes the whole log visible, durably.
  virtual Status finish() = 0;
};

struct CopyStats {
  uint64_t events = 0;
  uint64_t meta_values = 0;
};

// Copies every entry of `from` up to its head, then `meta`, into `to`, and
// finishes it. DataLoss when an entry of `from` does not verify or positions
// are not contiguous; the target's own errors are passed on. `progress` (may
// be empty) is called now and then with (entries copied, entries in all).
Result<CopyStats> copy_log(const EventStore& from, const MetaValues& meta, LogImport& to,
                           const VerifyProgress& progress);

}  // namespace almanac::storage
