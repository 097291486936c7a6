// EventStore: the append-only log as the core sees it. storage/ implements it
// on RocksDB (durable) and in memory (tests); commands/ appends through it.
//
// Thread safety: append() is called by one thread at a time (the writer);
// every read may run concurrently with it and with each other.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.hpp"
#include "events/status.hpp"

namespace almanac {

// One event to append: `expected_version` is the stream's version before it
// (0 for a new stream); the store assigns position and version.
struct PendingEvent {
  StreamId stream;
  uint64_t expected_version = 0;
  Payload payload;
};

// One command's events: appended all or nothing, with shared metadata.
struct Transaction {
  int64_t actor_id = 0;
  int64_t recorded_at = 0;          // UTC microseconds
  std::string correlation_id;
  std::string idempotency_key;      // empty: none
  std::vector<PendingEvent> events;
};

struct AppendOutcome {
  // The committed envelopes, positions assigned. For a duplicate (idempotency
  // key already applied for this actor), the original envelopes, read back.
  std::vector<Envelope> events;
  bool duplicate = false;
};

// Visits raw log entries in position order; return false to stop early.
using ScanFn = std::function<bool(uint64_t position, std::string_view bytes)>;

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Appends every transaction of `batch` with one durable write (one fsync for
  // the RocksDB store). Results are per transaction, in order: Conflict when an
  // expected version is stale (counting earlier transactions of the batch),
  // the outcome otherwise. Unavailable/Internal for all when the write fails;
  // nothing of the batch is then visible. Returns only after the data is durable.
  virtual std::vector<Result<AppendOutcome>> append(std::vector<Transaction> batch) = 0;

  // Last assigned position (0 for an empty log).
  virtual uint64_t head() const = 0;

  // Current version of a stream (0 when it has no events).
  virtual uint64_t stream_version(StreamId stream) const = 0;

  // Raw entries with from <= position, at most `limit` of them (0: no limit).
  virtual Status scan(uint64_t from, uint64_t limit, const ScanFn& fn) const = 0;

  // Decoded entries with from <= position, at most `limit` (0: no limit).
  Result<std::vector<Envelope>> read(uint64_t from, uint64_t limit) const;

  // A stream's events with version >= from_version, at most `limit`.
  virtual Result<std::vector<Envelope>> read_stream(StreamId stream, uint64_t from_version,
                                                    uint64_t limit) const = 0;

  // Positions recorded for (actor, key), when that key was already applied.
  virtual Result<std::optional<std::vector<uint64_t>>> find_idempotent(
      int64_t actor_id, std::string_view key) const = 0;

  // Small named values beside the log (read-model checksums, settings).
  virtual Status put_meta(std::string_view key, std::string_view value) = 0;
  virtual Result<std::optional<std::string>> get_meta(std::string_view key) const = 0;
};

}  // namespace almanac
