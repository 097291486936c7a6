// EventStore: the append-only log as the core sees it. storage/ implements it
// on RocksDB (durable) and in memory (tests); commands/ appends through it.
//
// Thread safety: prepare() is called by one thread at a time, and commit()
// (or append()) by one thread at a time; the two may run concurrently, so
// that a writer checks and encodes one batch while the one before it syncs.
// Every read may run concurrently with them and with each other.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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

// A batch prepare() has checked and encoded, waiting for commit(). Each store
// keeps in it what its write needs.
class PreparedAppend {
 public:
  virtual ~PreparedAppend() = default;
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
  std::vector<Result<AppendOutcome>> append(std::vector<Transaction> batch) {
    return commit(prepare(std::move(batch)));
  }

  // append() in two steps. prepare() checks and encodes `batch` as if every
  // batch prepared before it had been committed: their stream versions and
  // idempotency keys count, and its positions follow theirs. Nothing is
  // written or visible. commit() writes one prepared batch durably and returns
  // what append() would, one result per transaction prepared into it; batches
  // are committed once each, in the order they were prepared. When a commit
  // fails, the batches prepared before that failure and not yet committed
  // fail too, with Unavailable (they assumed it).
  virtual std::unique_ptr<PreparedAppend> prepare(std::vector<Transaction> batch) = 0;
  // Joins `next` onto `onto`: two batches prepared one right after the other,
  // neither committed. The one batch returned is committed once, writes the
  // transactions of both in one durable write, and has the results of `onto`
  // then those of `next`. So a batch waiting for its commit can take what was
  // prepared after it, without being held while that is prepared. Called by
  // the preparing thread.
  virtual std::unique_ptr<PreparedAppend> join(std::unique_ptr<PreparedAppend> onto,
                                               std::unique_ptr<PreparedAppend> next) = 0;
  virtual std::vector<Result<AppendOutcome>> commit(std::unique_ptr<PreparedAppend> prepared) = 0;

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

  // Memory the store holds for appends not yet in its files (RocksDB's
  // memtables), for /metrics; nullopt for a store without such a buffer.
  virtual std::optional<uint64_t> buffered_bytes() const { return std::nullopt; }
};

}  // namespace almanac
