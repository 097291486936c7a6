// MemoryEventStore: the EventStore in memory, for tests of the core.
//
// Same contract as the RocksDB store (conflicts, idempotency, all-or-nothing
// transactions, raw entries are encode()d envelopes) without durability.
#pragma once

#include <map>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "events/event_store.hpp"

namespace almanac::storage {

// Thread safety: every method may be called from any thread; mu_ serialises
// appends and meta writes against reads. scan() holds the shared lock while
// it calls `fn`, so `fn` must not append to the same store.
class MemoryEventStore final : public EventStore {
 public:
  MemoryEventStore() = default;

  // A transaction with no events succeeds with an empty outcome and records
  // nothing; InvalidArgument for an event without category or payload. The
  // checks run at commit(), which is never refused: commits in the order
  // prepared see the same versions and keys prepare() would have.
  std::unique_ptr<PreparedAppend> prepare(std::vector<Transaction> batch) override;
  std::unique_ptr<PreparedAppend> join(std::unique_ptr<PreparedAppend> onto,
                                       std::unique_ptr<PreparedAppend> next) override;
  std::vector<Result<AppendOutcome>> commit(std::unique_ptr<PreparedAppend> prepared) override;
  uint64_t head() const override;
  uint64_t stream_version(StreamId stream) const override;
  Status scan(uint64_t from, uint64_t limit, const ScanFn& fn) const override;
  Result<std::vector<Envelope>> read_stream(StreamId stream, uint64_t from_version,
                                            uint64_t limit) const override;
  Result<std::optional<std::vector<uint64_t>>> find_idempotent(
      int64_t actor_id, std::string_view key) const override;
  Status put_meta(std::string_view key, std::string_view value) override;
  Result<std::optional<std::string>> get_meta(std::string_view key) const override;

 private:
  std::vector<Envelope> read_positions_locked(const std::vector<uint64_t>& positions) const;

  mutable std::shared_mutex mu_;
  // Guarded by mu_. log_[p - 1] holds position p, encoded.
  std::vector<std::string> log_;
  // Guarded by mu_. Positions of each stream, version v at index v - 1.
  std::unordered_map<StreamId, std::vector<uint64_t>, StreamIdHash> streams_;
  // Guarded by mu_. (actor, idempotency key) -> positions.
  std::map<std::pair<int64_t, std::string>, std::vector<uint64_t>, std::less<>> idempotency_;
  // Guarded by mu_.
  std::map<std::string, std::string, std::less<>> meta_;
};

}  // namespace almanac::storage
